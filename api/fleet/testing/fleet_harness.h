#pragma once

// The fleet services over a memory store and a fake clock, for tests of the services and of the
// transports over them: a `myapp` task definition (256 cpu, 512 MiB) and the talk's nine
// instances on demand.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/fleet/fleet_view.h"
#include "api/fleet/instance_service.h"
#include "api/fleet/task_service.h"
#include "api/schema/kinds.h"
#include "api/service/clock.h"
#include "api/service/local_client.h"
#include "api/service/object_service.h"
#include "controllers/runtime/informer_factory.h"
#include "store/memory/memory_store.h"
#include "tests/testlib/eventually.h"

namespace gantry::fleet::testing {

// Waits (bounded) until `fleet` shows exactly the Tasks and ContainerInstances `objects` has
// stored, each at its stored resourceVersion: deletions included.
inline ::testing::AssertionResult CaughtUp(const FleetView& fleet, api::ObjectService& objects) {
  using Versions = std::map<std::string, std::string>;
  auto stored = [&](const char* kind) {
    Versions out;
    auto listed = objects.List(*schema::FindKind(kind));
    if (listed.ok()) {
      for (const auto& o : listed->items)
        out[schema::MetaOf(*o).name()] = schema::MetaOf(*o).resource_version();
    }
    return out;
  };
  auto shown = [](const auto& items) {
    Versions out;
    for (const auto& o : items) out[o->metadata().name()] = o->metadata().resource_version();
    return out;
  };
  const bool caught_up = testlib::Eventually(
      [&] {
        return shown(fleet.AllTasks()) == stored("Task") &&
               shown(fleet.AllInstances()) == stored("ContainerInstance");
      },
      std::chrono::seconds(10), std::chrono::milliseconds(1));
  if (caught_up) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "the fleet view never showed the store's fleet";
}

// A memory store that lets another writer win the race against the next transaction or
// delete (`before_next_txn` runs once just before it), and whose watches can be held back: while
// held, every watch (the informers') delivers nothing, as if far behind the store.
class RacingStore : public store::MemoryStore {
 public:
  void BeforeNextTxn(std::function<void()> write) {
    std::lock_guard lock(mu_);
    before_next_txn_ = std::move(write);
  }

  void HoldWatches() { held_->on = true; }
  // Delivers what was held back: wakes every watcher, which then reads on.
  void ReleaseWatches() {
    held_->on = false;
    std::vector<std::function<void()>> wake;
    {
      std::lock_guard lock(held_->mu);
      for (auto& [id, notify] : held_->notifies) wake.push_back(notify);
    }
    for (auto& notify : wake) notify();
  }

  store::Result<store::WatchPtr> Watch(std::string_view prefix, int64_t after) override {
    auto inner = MemoryStore::Watch(prefix, after);
    if (!inner.ok()) return inner;
    return store::WatchPtr(std::make_unique<HeldWatch>(std::move(*inner), held_));
  }
  store::Result<int64_t> Txn(std::vector<store::TxnOp> ops) override {
    Race();
    return MemoryStore::Txn(std::move(ops));
  }
  store::Result<int64_t> Delete(std::string_view key, int64_t expected_revision) override {
    Race();
    return MemoryStore::Delete(key, expected_revision);
  }

 private:
  void Race() {
    std::function<void()> race;
    {
      std::lock_guard lock(mu_);
      race = std::exchange(before_next_txn_, nullptr);
    }
    if (race) race();
  }

  struct Hold {
    std::atomic<bool> on{false};
    std::mutex mu;
    std::map<const void*, std::function<void()>> notifies;  // by watch
  };

  class HeldWatch : public store::Watch {
   public:
    HeldWatch(store::WatchPtr inner, std::shared_ptr<Hold> hold)
        : inner_(std::move(inner)), hold_(std::move(hold)) {}
    ~HeldWatch() override {
      std::lock_guard lock(hold_->mu);
      hold_->notifies.erase(this);
    }
    Poll Next(store::WatchEvent& event, std::chrono::milliseconds timeout) override {
      if (hold_->on) return Poll::kTimeout;
      return inner_->Next(event, timeout);
    }
    void Cancel() override { inner_->Cancel(); }
    std::string closed_reason() const override { return inner_->closed_reason(); }
    void SetNotify(std::function<void()> notify) override {
      {
        std::lock_guard lock(hold_->mu);
        if (notify) {
          hold_->notifies[this] = notify;
        } else {
          hold_->notifies.erase(this);
        }
      }
      inner_->SetNotify(std::move(notify));
    }

   private:
    store::WatchPtr inner_;
    std::shared_ptr<Hold> hold_;
  };

  std::mutex mu_;
  std::function<void()> before_next_txn_;
  std::shared_ptr<Hold> held_ = std::make_shared<Hold>();
};

// The fleet a gantryd builds over `store`: view and services on their own informers, started.
// For tests that need a second gantryd over the same store, or a fleet without the fixture.
struct StandaloneFleet {
  StandaloneFleet(store::Store& store, api::FakeClock& clock, uint64_t seed)
      : objects(store, clock),
        client(objects),
        informers(client, clock),
        fleet(informers),
        tasks(objects, fleet, clock, EcsNames{}, seed),
        instances(objects, fleet, tasks, clock) {
    informers.Start();
    EXPECT_TRUE(informers.WaitForCacheSync(std::chrono::seconds(10)));
  }
  ~StandaloneFleet() { informers.Stop(); }  // the informers call into the services

  api::ObjectService objects;
  api::LocalClient client;
  controllers::runtime::InformerFactory informers;
  FleetView fleet;
  TaskService tasks;
  InstanceService instances;
};

class FleetHarness : public ::testing::Test {
 protected:
  void SetUp() override {
    informers_.Start();
    ASSERT_TRUE(informers_.WaitForCacheSync(std::chrono::seconds(10)));
    v1::TaskDefinition td;
    td.set_api_version("gantry.dev/v1");
    td.set_kind("TaskDefinition");
    td.mutable_metadata()->set_name("myapp");
    auto* c = td.mutable_spec()->add_containers();
    c->set_name("app");
    c->add_command("/bin/true");
    c->set_cpu(256);
    c->set_memory(512);
    ASSERT_TRUE(objects_.Apply(td).ok());
  }

  // Cluster `demo`: us-east-1a/b/c × t2.small, t2.medium, g2.2xlarge as in the talk, named
  // i-<zone><type> (i-00 … i-22), 2048 cpu and 4096 MiB each, port 22 reserved.
  void RegisterNine() {
    const char* zones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
    const char* types[] = {"t2.small", "t2.medium", "g2.2xlarge"};
    std::vector<v1::InstanceRegistration> regs;
    for (int z = 0; z < 3; ++z) {
      for (int t = 0; t < 3; ++t) {
        v1::InstanceRegistration r;
        r.set_container_instance("i-" + std::to_string(z) + std::to_string(t));
        r.set_cluster("demo");
        r.set_ec2_instance_id("i-0abc" + std::to_string(z) + std::to_string(t));
        auto* a = r.add_attributes();
        a->set_name("ecs.availability-zone");
        a->set_value(zones[z]);
        a = r.add_attributes();
        a->set_name("ecs.instance-type");
        a->set_value(types[t]);
        r.mutable_registered_resources()->set_cpu(2048);
        r.mutable_registered_resources()->set_memory(4096);
        r.mutable_registered_resources()->add_ports(22);
        r.mutable_version_info()->set_agent_version("1.0.0");
        regs.push_back(r);
      }
    }
    auto registered = instances_.Register(regs);
    ASSERT_TRUE(registered.ok()) << registered.status().ToString();
  }

  // The informers call into the services: they stop first.
  void TearDown() override { informers_.Stop(); }

  // The fleet view as an API read sees it: every launch answered so far shown (RunTask answers
  // before the informers show its tasks).
  const FleetView& Shown() {
    (void)fleet_.AwaitNotedWrites();
    return fleet_;
  }

  RacingStore store_;
  api::FakeClock clock_;
  api::ObjectService objects_{store_, clock_};
  api::LocalClient client_{objects_};
  controllers::runtime::InformerFactory informers_{client_, clock_};
  FleetView fleet_{informers_};
  EcsNames names_;
  TaskService tasks_{objects_, fleet_, clock_, names_, 42};
  InstanceService instances_{objects_, fleet_, tasks_, clock_};
};

}  // namespace gantry::fleet::testing
