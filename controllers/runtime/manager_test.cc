#include "controllers/runtime/manager.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>

#include "api/clock/fake_clock.h"
#include "api/service/local_client.h"
#include "gantry/v1/objects.pb.h"
#include "store/memory/memory_store.h"

namespace gantry::controllers::runtime {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

v1::Service ServiceNamed(const std::string& name) {
  v1::Service s;
  s.set_kind("Service");
  s.set_api_version("gantry.dev/v1");
  s.mutable_metadata()->set_name(name);
  s.mutable_spec()->set_cluster("default");
  s.mutable_spec()->set_task_definition("web");
  s.mutable_spec()->set_desired_count(1);
  return s;
}

class ManagerTest : public ::testing::Test {
 protected:
  // A controller that notes every key it reconciles, fed by the Service informer.
  std::unique_ptr<Controller> Wire(Manager& manager) {
    ControllerOptions options;
    options.name = "services";
    auto controller = std::make_unique<Controller>(
        clock_,
        [this](const std::string& key) -> api::StatusOr<ReconcileOutcome> {
          {
            std::lock_guard lock(mu_);
            reconciled_.insert(key);
          }
          cv_.notify_all();
          return ReconcileOutcome{};
        },
        std::move(options));
    Informer& services = manager.informers().For(*schema::FindKind("Service"));
    WorkQueue& queue = controller->queue();
    auto enqueue = [&queue](const ObjectRef& o) { queue.Add(schema::MetaOf(*o).name()); };
    services.AddEventHandlers(
        {enqueue, [enqueue](const ObjectRef&, const ObjectRef& now) { enqueue(now); }, enqueue});
    manager.Add(*controller);
    return controller;
  }
  bool Reconciled(const std::set<std::string>& keys) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, seconds(10), [&] {
      for (const auto& k : keys) {
        if (!reconciled_.count(k)) return false;
      }
      return true;
    });
  }

  clock::FakeClock clock_;
  store::MemoryStore store_;
  api::ObjectService objects_{store_, clock_};
  api::LocalClient client_{objects_};
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> reconciled_;
};

TEST_F(ManagerTest, ControllersStartAfterTheCachesAndSeeWhatExistedAndWhatFollows) {
  ASSERT_TRUE(client_.Create(ServiceNamed("before")).ok());
  Manager manager(client_, clock_);
  auto controller = Wire(manager);
  ASSERT_TRUE(manager.Start(seconds(10)).ok());
  EXPECT_TRUE(manager.informers().For(*schema::FindKind("Service")).HasSynced());
  EXPECT_TRUE(Reconciled({"before"}));
  ASSERT_TRUE(client_.Create(ServiceNamed("after")).ok());
  EXPECT_TRUE(Reconciled({"before", "after"}));
  manager.Stop();
}

TEST_F(ManagerTest, NoControllerRunsWithoutLeadership) {
  ASSERT_TRUE(client_.Create(ServiceNamed("web")).ok());
  Manager manager(client_, clock_);
  auto controller = Wire(manager);
  manager.SetLeaderElection([] { return false; });
  EXPECT_EQ(manager.Start(seconds(10)).code(), api::Code::kAborted);
  // The informer listed and queued "web", but no worker took it.
  EXPECT_EQ(controller->queue().Len(), 1u);
  {
    std::lock_guard lock(mu_);
    EXPECT_TRUE(reconciled_.empty());
  }
  manager.Stop();  // before the controller goes away
}

TEST_F(ManagerTest, CachesThatCannotListFailTheStart) {
  class Unlistable : public api::LocalClient {
   public:
    using api::LocalClient::LocalClient;
    api::StatusOr<client::ListPage> List(const schema::KindInfo&,
                                         const client::ListOptions&) override {
      return api::Status(api::Code::kUnavailable, "no store");
    }
  } unlistable(objects_);
  Manager manager(unlistable, clock_);
  manager.informers().For(*schema::FindKind("Service"));
  EXPECT_EQ(manager.Start(milliseconds(20)).code(), api::Code::kDeadlineExceeded);
}

}  // namespace
}  // namespace gantry::controllers::runtime
