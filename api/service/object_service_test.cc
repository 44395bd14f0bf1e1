#include "api/service/object_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>
#include <utility>

#include "api/codec/object_codec.h"
#include "gantry/v1/objects.pb.h"
#include "store/memory/memory_store.h"

namespace gantry::api {
namespace {

ObjectPtr Decode(const std::string& text) {
  auto m = codec::DecodeManifests(text, "test.yaml");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move((*m)[0].object);
}

std::string ServiceYaml(int desired, const std::string& extra_meta = "") {
  return "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web, labels: {app: web}" +
         extra_meta + "}\nspec:\n  cluster: default\n  taskDefinition: web\n  desiredCount: " +
         std::to_string(desired) + "\n";
}

const std::string kTaskDefinition =
    "apiVersion: gantry.dev/v1\nkind: TaskDefinition\nmetadata: {name: web}\nspec:\n"
    "  containers: [{name: app, command: [sleep, '3600'], cpu: 128, memory: 128}]\n";

class ObjectServiceTest : public ::testing::Test {
 protected:
  const schema::KindInfo& Kind(const char* name) { return *schema::FindKind(name); }
  store::MemoryStore store_;
  FakeClock clock_;
  int uid_counter_ = 0;
  ObjectService service_{store_, clock_,
                         [this] { return "uid-" + std::to_string(++uid_counter_); }};
};

TEST_F(ObjectServiceTest, ApplyCreatesThenConfiguresThenLeavesAlone) {
  auto created = service_.Apply(*Decode(ServiceYaml(2)));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->outcome, ApplyOutcome::kCreated);
  const auto& svc = static_cast<const v1::Service&>(*created->object);
  EXPECT_EQ(svc.metadata().uid(), "uid-1");
  EXPECT_EQ(svc.metadata().generation(), 1);
  EXPECT_EQ(svc.metadata().creation_timestamp(), "2026-01-01T00:00:00Z");
  EXPECT_EQ(svc.metadata().resource_version(), "1");
  EXPECT_EQ(svc.api_version(), "gantry.dev/v1");

  auto same = service_.Apply(*Decode(ServiceYaml(2)));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->outcome, ApplyOutcome::kUnchanged);
  EXPECT_EQ(store_.CurrentRevision(), 1);  // an unchanged apply writes nothing

  auto scaled = service_.Apply(*Decode(ServiceYaml(3)));
  ASSERT_TRUE(scaled.ok());
  EXPECT_EQ(scaled->outcome, ApplyOutcome::kConfigured);
  const auto& s3 = static_cast<const v1::Service&>(*scaled->object);
  EXPECT_EQ(s3.metadata().generation(), 2);
  EXPECT_EQ(s3.metadata().uid(), "uid-1");  // server-owned metadata survives
  EXPECT_EQ(s3.metadata().resource_version(), "2");

  // Labels change: configured, but the generation stays (the spec did not change).
  auto relabeled = service_.Apply(*Decode(ServiceYaml(3, ", annotations: {owner: ops}")));
  ASSERT_TRUE(relabeled.ok());
  EXPECT_EQ(relabeled->outcome, ApplyOutcome::kConfigured);
  EXPECT_EQ(static_cast<const v1::Service&>(*relabeled->object).metadata().generation(), 2);
}

TEST_F(ObjectServiceTest, ApplyIgnoresStatusAndUpdateStatusWritesOnlyStatus) {
  auto created = service_.Apply(*Decode(ServiceYaml(2) + "status: {runningCount: 99}\n"));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(static_cast<const v1::Service&>(*created->object).status().running_count(), 0);

  v1::Service status_update;
  status_update.set_kind("Service");
  status_update.mutable_metadata()->set_name("web");
  status_update.mutable_status()->set_running_count(2);
  status_update.mutable_spec()->set_desired_count(50);  // ignored: status only
  auto updated = service_.UpdateStatus(status_update);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  const auto& u = static_cast<const v1::Service&>(**updated);
  EXPECT_EQ(u.status().running_count(), 2);
  EXPECT_EQ(u.spec().desired_count(), 2);
  EXPECT_EQ(u.metadata().generation(), 1);
  // Re-applying the manifest keeps the status.
  auto again = service_.Apply(*Decode(ServiceYaml(2)));
  EXPECT_EQ(again->outcome, ApplyOutcome::kUnchanged);
  EXPECT_EQ(static_cast<const v1::Service&>(*again->object).status().running_count(), 2);
}

TEST_F(ObjectServiceTest, StaleResourceVersionIsAConflict) {
  ASSERT_TRUE(service_.Apply(*Decode(ServiceYaml(2))).ok());
  ASSERT_TRUE(service_.Apply(*Decode(ServiceYaml(3))).ok());  // now at revision 2
  auto stale = service_.Apply(*Decode(ServiceYaml(4, ", resourceVersion: '1'")));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), Code::kAborted);
  EXPECT_EQ(HttpStatus(stale.status().code()), 409);
  EXPECT_NE(stale.status().message().find("is stale (current: 2)"), std::string::npos);
  auto fresh = service_.Apply(*Decode(ServiceYaml(4, ", resourceVersion: '2'")));
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ(fresh->outcome, ApplyOutcome::kConfigured);
  auto bad = service_.Apply(*Decode(ServiceYaml(4, ", resourceVersion: abc")));
  EXPECT_EQ(bad.status().field(), "metadata.resourceVersion");
}

TEST_F(ObjectServiceTest, ConcurrentConflictingWritesExactlyOneWins) {
  ASSERT_TRUE(service_.Apply(*Decode(ServiceYaml(1))).ok());
  std::atomic<int> ok{0}, conflicts{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < 8; ++i) {
    writers.emplace_back([&, i] {
      auto r = service_.Apply(*Decode(ServiceYaml(10 + i, ", resourceVersion: '1'")));
      if (r.ok()) ++ok;
      if (!r.ok() && r.status().code() == Code::kAborted) ++conflicts;
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(conflicts, 7);
}

TEST_F(ObjectServiceTest, ConcurrentUnpinnedAppliesAllLand) {
  ASSERT_TRUE(service_.Apply(*Decode(ServiceYaml(1))).ok());
  std::vector<std::thread> writers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    writers.emplace_back([&, i] {
      if (service_.Apply(*Decode(ServiceYaml(10 + i))).ok()) ++ok;
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(ok, 8);  // each retried its compare-and-swap on the fresh state
}

TEST_F(ObjectServiceTest, TaskDefinitionRevisions) {
  auto r1 = service_.Apply(*Decode(kTaskDefinition));
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->outcome, ApplyOutcome::kCreated);
  const auto& td1 = static_cast<const v1::TaskDefinition&>(*r1->object);
  EXPECT_EQ(td1.metadata().name(), "web:1");
  EXPECT_EQ(td1.status().family(), "web");
  EXPECT_EQ(td1.status().revision(), 1);

  auto same = service_.Apply(*Decode(kTaskDefinition));
  EXPECT_EQ(same->outcome, ApplyOutcome::kUnchanged);
  EXPECT_EQ(static_cast<const v1::TaskDefinition&>(*same->object).metadata().name(), "web:1");

  std::string changed = kTaskDefinition;
  changed.replace(changed.find("cpu: 128"), 8, "cpu: 256");
  auto r2 = service_.Apply(*Decode(changed));
  EXPECT_EQ(r2->outcome, ApplyOutcome::kCreated);
  EXPECT_EQ(static_cast<const v1::TaskDefinition&>(*r2->object).metadata().name(), "web:2");
  // Revisions stay as they were; the family name means the latest.
  EXPECT_EQ(static_cast<const v1::TaskDefinition&>(**service_.Get(Kind("TaskDefinition"), "web:1"))
                .spec()
                .containers(0)
                .cpu(),
            128);
  EXPECT_EQ(static_cast<const v1::TaskDefinition&>(**service_.Get(Kind("TaskDefinition"), "web"))
                .metadata()
                .name(),
            "web:2");
  // Re-applying an older spec registers a new revision (web:3), as ECS does.
  auto r3 = service_.Apply(*Decode(kTaskDefinition));
  EXPECT_EQ(static_cast<const v1::TaskDefinition&>(*r3->object).metadata().name(), "web:3");
  // Ten and above sort correctly.
  for (int i = 0; i < 8; ++i) {
    std::string next = kTaskDefinition;
    next.replace(next.find("cpu: 128"), 8, "cpu: " + std::to_string(300 + i));
    ASSERT_TRUE(service_.Apply(*Decode(next)).ok());
  }
  EXPECT_EQ(static_cast<const v1::TaskDefinition&>(**service_.Get(Kind("TaskDefinition"), "web"))
                .metadata()
                .name(),
            "web:11");
  // A manifest naming a revision may only match it.
  std::string pinned = changed;
  pinned.replace(pinned.find("{name: web}"), 11, "{name: 'web:1'}");
  auto immutable = service_.Apply(*Decode(pinned));
  EXPECT_EQ(immutable.status().code(), Code::kFailedPrecondition);
  // Deleting the family removes every revision.
  ASSERT_TRUE(service_.Delete(Kind("TaskDefinition"), "web").ok());
  EXPECT_EQ(service_.List(Kind("TaskDefinition"))->items.size(), 0u);
}

TEST_F(ObjectServiceTest, DryRunWritesNothing) {
  auto r = service_.Apply(*Decode(ServiceYaml(2)), {.dry_run = true});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, ApplyOutcome::kCreated);
  EXPECT_EQ(store_.CurrentRevision(), 0);
  ASSERT_TRUE(service_.Apply(*Decode(ServiceYaml(2))).ok());
  auto configured = service_.Apply(*Decode(ServiceYaml(5)), {.dry_run = true});
  EXPECT_EQ(configured->outcome, ApplyOutcome::kConfigured);
  EXPECT_EQ(static_cast<const v1::Service&>(*configured->object).spec().desired_count(), 5);
  EXPECT_EQ(static_cast<const v1::Service&>(**service_.Get(Kind("Service"), "web"))
                .spec()
                .desired_count(),
            2);
}

TEST_F(ObjectServiceTest, ValidationErrorsCarryFieldPaths) {
  auto r = service_.Apply(
      *Decode("apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web}\nspec:\n  "
              "taskDefinition: web\n"
              "  placementConstraints: [{type: memberOf, expression: 'attribute:stack prod'}]\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "spec.placementConstraints[0].expression");
  EXPECT_EQ(HttpStatus(r.status().code()), 400);
}

TEST_F(ObjectServiceTest, CreateGetListDelete) {
  ASSERT_TRUE(service_.Create(*Decode(ServiceYaml(1))).ok());
  auto dup = service_.Create(*Decode(ServiceYaml(1)));
  EXPECT_EQ(dup.status().code(), Code::kAlreadyExists);
  std::string api = ServiceYaml(1);
  api.replace(api.find("name: web, labels: {app: web}"), 29, "name: api, labels: {app: api}");
  ASSERT_TRUE(service_.Create(*Decode(api)).ok());

  auto all = service_.List(Kind("Service"));
  ASSERT_EQ(all->items.size(), 2u);
  EXPECT_EQ(all->revision, 2);
  auto selected = service_.List(Kind("Service"), *LabelSelector::Parse("app=api"));
  ASSERT_EQ(selected->items.size(), 1u);

  auto missing = service_.Get(Kind("Service"), "nope");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(), "service \"nope\" not found");

  EXPECT_EQ(service_.Delete(Kind("Service"), "web", "99").status().code(), Code::kAborted);
  auto deleted = service_.Delete(Kind("Service"), "web");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(service_.Get(Kind("Service"), "web").status().code(), Code::kNotFound);
  EXPECT_EQ(service_.Delete(Kind("Service"), "web").status().code(), Code::kNotFound);
}

// A memory store where another writer wins the race against the next delete.
class RacingDeleteStore : public store::MemoryStore {
 public:
  std::function<void()> before_next_delete;
  store::Result<int64_t> Delete(std::string_view key, int64_t expected_revision) override {
    if (auto race = std::exchange(before_next_delete, nullptr)) race();
    return MemoryStore::Delete(key, expected_revision);
  }
};

// A controller writes the object's status between a DELETE's read and its delete: a delete the
// caller did not pin still goes; one pinned to the old version is stale.
TEST(ObjectServiceDeleteTest, AnUnpinnedDeleteSurvivesAWriteBetweenItsReadAndItsDelete) {
  RacingDeleteStore store;
  FakeClock clock;
  ObjectService service(store, clock);
  auto created = service.Create(*Decode(ServiceYaml(1)));
  ASSERT_TRUE(created.ok());
  auto write_status = [&] {
    auto next = Decode(ServiceYaml(1));
    static_cast<v1::Service&>(*next).mutable_status()->set_running_count(1);
    ASSERT_TRUE(service.UpdateStatus(*next).ok());
  };
  store.before_next_delete = write_status;
  auto deleted = service.Delete(*schema::FindKind("Service"), "web");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(static_cast<const v1::Service&>(**deleted).status().running_count(), 1);
  EXPECT_EQ(service.Get(*schema::FindKind("Service"), "web").status().code(), Code::kNotFound);

  ASSERT_TRUE(service.Create(*Decode(ServiceYaml(1))).ok());
  const std::string pinned = std::to_string(store.CurrentRevision());
  store.before_next_delete = write_status;
  EXPECT_EQ(service.Delete(*schema::FindKind("Service"), "web", pinned).status().code(),
            Code::kAborted);
  EXPECT_TRUE(service.Get(*schema::FindKind("Service"), "web").ok());
}

TEST_F(ObjectServiceTest, ListInPagesWithASelector) {
  for (int i = 0; i < 9; ++i) {
    std::string yaml = ServiceYaml(1);
    yaml.replace(
        yaml.find("name: web, labels: {app: web}"), 29,
        "name: s" + std::to_string(i) + ", labels: {app: " + (i % 3 == 0 ? "db" : "web") + "}");
    ASSERT_TRUE(service_.Apply(*Decode(yaml)).ok());
  }
  auto selector = *LabelSelector::Parse("app=web");
  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    auto page = service_.List(Kind("Service"), selector, 2, token);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_LE(page->items.size(), 2u);
    for (const auto& o : page->items)
      names.push_back(static_cast<const v1::Service&>(*o).metadata().name());
    token = page->continue_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(names, (std::vector<std::string>{"s1", "s2", "s4", "s5", "s7", "s8"}));
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(service_.List(Kind("Service"), {}, 0, "")->items.size(), 9u);
  EXPECT_EQ(service_.List(Kind("Service"), {}, 100, "")->continue_token, "");
}

TEST_F(ObjectServiceTest, WatchDeliversTypedEvents) {
  auto w = service_.Watch(Kind("Service"), "0");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(service_.Apply(*Decode(ServiceYaml(1))).ok());
  ASSERT_TRUE(service_.Apply(*Decode(ServiceYaml(2))).ok());
  ASSERT_TRUE(service_.Apply(*Decode(kTaskDefinition)).ok());  // another kind: not seen
  ASSERT_TRUE(service_.Delete(Kind("Service"), "web").ok());
  std::vector<std::string> seen;
  ObjectEvent e;
  while ((*w)->Next(e, std::chrono::milliseconds(200)) == ObjectWatch::Poll::kEvent) {
    seen.push_back(std::string(EventTypeName(e.type)) + ":" +
                   static_cast<const v1::Service&>(*e.object).metadata().resource_version());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED:1", "MODIFIED:2", "DELETED:4"}));
  // From a past revision: history first.
  auto from1 = service_.Watch(Kind("Service"), "1");
  ASSERT_TRUE(from1.ok());
  ASSERT_EQ((*from1)->Next(e, std::chrono::milliseconds(200)), ObjectWatch::Poll::kEvent);
  EXPECT_EQ(e.type, ObjectEvent::Type::kModified);
  // A compacted revision is 410 Gone.
  ASSERT_TRUE(store_.Compact(3).ok());
  auto gone = service_.Watch(Kind("Service"), "1");
  EXPECT_EQ(gone.status().code(), Code::kOutOfRange);
  EXPECT_EQ(HttpStatus(gone.status().code()), 410);
}

}  // namespace
}  // namespace gantry::api

namespace gantry::api {
namespace {

v1::Service NamedService(const std::string& name, const std::string& resource_version = "") {
  v1::Service svc;
  svc.set_api_version("gantry.dev/v1");
  svc.set_kind("Service");
  svc.mutable_metadata()->set_name(name);
  svc.mutable_metadata()->set_resource_version(resource_version);
  svc.mutable_spec()->set_cluster("default");
  svc.mutable_spec()->set_task_definition("web");
  svc.mutable_spec()->set_desired_count(1);
  return svc;
}

TEST_F(ObjectServiceTest, CommitWritesEveryObjectAtOneRevision) {
  ASSERT_TRUE(service_.Create(NamedService("old")).ok());
  ASSERT_TRUE(service_.Create(NamedService("gone")).ok());
  v1::Service a = NamedService("a"), b = NamedService("b");
  v1::Service status_change = NamedService("old");
  status_change.mutable_status()->set_running_count(4);
  v1::Service deleted = NamedService("gone", "2");
  auto committed =
      service_.Commit({ObjectWrite::Create(a), ObjectWrite::Create(b),
                       ObjectWrite::UpdateStatus(status_change), ObjectWrite::Delete(deleted)});
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_EQ(committed->revision, 3);
  EXPECT_EQ(store_.CurrentRevision(), 3);
  ASSERT_EQ(committed->objects.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(schema::MetaOf(*committed->objects[i]).resource_version(), "3");
  }
  EXPECT_FALSE(schema::MetaOf(*committed->objects[0]).uid().empty());
  auto old = service_.Get(Kind("Service"), "old");
  ASSERT_TRUE(old.ok());
  const auto& stored = static_cast<const v1::Service&>(**old);
  EXPECT_EQ(stored.status().running_count(), 4);
  EXPECT_EQ(stored.metadata().generation(), 1);  // a status write leaves generation alone
  EXPECT_EQ(service_.Get(Kind("Service"), "gone").status().code(), Code::kNotFound);
}

TEST_F(ObjectServiceTest, CommitWithAStaleOrInvalidWriteWritesNothing) {
  ASSERT_TRUE(service_.Create(NamedService("old")).ok());
  ASSERT_TRUE(service_
                  .Mutate(Kind("Service"), "old",
                          [](google::protobuf::Message& m) {
                            static_cast<v1::Service&>(m).mutable_spec()->set_desired_count(2);
                            return StatusOr<bool>(true);
                          })
                  .ok());
  v1::Service fresh = NamedService("fresh");
  v1::Service stale = NamedService("old", "1");
  auto conflict = service_.Commit({ObjectWrite::Create(fresh), ObjectWrite::UpdateStatus(stale)});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), Code::kAborted);
  EXPECT_NE(conflict.status().message().find("\"old\""), std::string::npos)
      << conflict.status().ToString();

  v1::Service invalid = NamedService("bad name!");
  auto refused = service_.Commit({ObjectWrite::Create(fresh), ObjectWrite::Create(invalid)});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);

  v1::Service again = NamedService("old");
  auto exists = service_.Commit({ObjectWrite::Create(fresh), ObjectWrite::Create(again)});
  ASSERT_FALSE(exists.ok());
  EXPECT_EQ(exists.status().code(), Code::kAlreadyExists);
  EXPECT_NE(exists.status().message().find("\"old\""), std::string::npos);

  EXPECT_EQ(store_.CurrentRevision(), 2);
  EXPECT_EQ(service_.Get(Kind("Service"), "fresh").status().code(), Code::kNotFound);
  EXPECT_EQ(service_.Commit({}).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace gantry::api
