#include "api/service/local_client.h"

#include <gtest/gtest.h>

#include <chrono>

#include "api/codec/object_codec.h"
#include "gantry/v1/objects.pb.h"
#include "store/memory/memory_store.h"

namespace gantry::api {
namespace {

using std::chrono::milliseconds;

client::Object Decode(const std::string& text) {
  auto m = codec::DecodeManifests(text, "test.yaml");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move((*m)[0].object);
}

std::string ServiceYaml(const std::string& name, int desired, const std::string& app = "web") {
  return "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: " + name +
         ", labels: {app: " + app + "}}\nspec:\n  cluster: default\n  taskDefinition: web\n" +
         "  desiredCount: " + std::to_string(desired) + "\n";
}

const v1::Service& AsService(const client::Object& o) {
  return static_cast<const v1::Service&>(*o);
}

class LocalClientTest : public ::testing::Test {
 protected:
  const schema::KindInfo& services_ = *schema::FindKind("Service");
  store::MemoryStore store_;
  FakeClock clock_;
  ObjectService objects_{store_, clock_};
  LocalClient client_{objects_};
  client::Client& api_ = client_;  // the tests use only the interface
};

TEST_F(LocalClientTest, ApplyGetUpdateStatusDelete) {
  auto created = api_.Apply(*Decode(ServiceYaml("web", 2)));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->outcome, client::ApplyOutcome::kCreated);
  auto same = api_.Apply(*Decode(ServiceYaml("web", 2)));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->outcome, client::ApplyOutcome::kUnchanged);
  auto scaled = api_.Apply(*Decode(ServiceYaml("web", 3)));
  ASSERT_TRUE(scaled.ok());
  EXPECT_EQ(scaled->outcome, client::ApplyOutcome::kConfigured);

  auto got = api_.Get(services_, "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(AsService(*got).spec().desired_count(), 3);
  EXPECT_EQ(api_.Get(services_, "nope").status().code(), Code::kNotFound);

  // Status only, guarded by the resourceVersion the writer last saw.
  v1::Service status = AsService(*got);
  status.mutable_status()->set_running_count(3);
  status.mutable_spec()->set_desired_count(99);  // ignored: the status subresource
  auto updated = api_.UpdateStatus(status);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(AsService(*updated).status().running_count(), 3);
  EXPECT_EQ(AsService(*updated).spec().desired_count(), 3);
  EXPECT_EQ(api_.UpdateStatus(status).status().code(), Code::kAborted) << "stale resourceVersion";

  EXPECT_EQ(api_.Create(*Decode(ServiceYaml("web", 1))).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(api_.Delete(services_, "web", "1").status().code(), Code::kAborted);
  auto deleted = api_.Delete(services_, "web", "");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(AsService(*deleted).status().running_count(), 3);
  EXPECT_EQ(api_.Get(services_, "web").status().code(), Code::kNotFound);
}

TEST_F(LocalClientTest, ListPagesWithASelector) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        api_.Create(*Decode(ServiceYaml("s" + std::to_string(i), 1, i % 2 ? "odd" : "even"))).ok());
  }
  client::ListOptions options;
  options.label_selector = "app=even";
  options.limit = 2;
  auto first = api_.List(services_, options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->revision, 5);
  EXPECT_FALSE(first->continue_token.empty());
  options.continue_token = first->continue_token;
  auto second = api_.List(services_, options);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(AsService(second->items[0]).metadata().name(), "s4");

  options = {};
  options.label_selector = "app in (even";
  auto bad = api_.List(services_, options);
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument) << bad.status().ToString();
}

TEST_F(LocalClientTest, WatchFromAListsRevisionSeesEveryLaterChangeInOrder) {
  ASSERT_TRUE(api_.Create(*Decode(ServiceYaml("before", 1))).ok());
  auto list = api_.List(services_, {});
  ASSERT_TRUE(list.ok());
  auto watch = api_.Watch(services_, std::to_string(list->revision), "app=web");
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  int notified = 0;
  (*watch)->SetNotify([&] { ++notified; });

  ASSERT_TRUE(api_.Create(*Decode(ServiceYaml("web", 1))).ok());
  ASSERT_TRUE(api_.Create(*Decode(ServiceYaml("other", 1, "other"))).ok());  // not selected
  ASSERT_TRUE(api_.Apply(*Decode(ServiceYaml("web", 2))).ok());
  ASSERT_TRUE(api_.Delete(services_, "web", "").ok());
  EXPECT_GT(notified, 0);

  client::WatchEvent e;
  ASSERT_EQ((*watch)->Next(e, milliseconds(0)), client::WatchStream::Poll::kEvent);
  EXPECT_EQ(e.type, client::WatchEvent::Type::kAdded);
  EXPECT_EQ(AsService(e.object).metadata().name(), "web");
  ASSERT_EQ((*watch)->Next(e, milliseconds(0)), client::WatchStream::Poll::kEvent);
  EXPECT_EQ(e.type, client::WatchEvent::Type::kModified);
  EXPECT_EQ(AsService(e.object).spec().desired_count(), 2);
  ASSERT_EQ((*watch)->Next(e, milliseconds(0)), client::WatchStream::Poll::kEvent);
  EXPECT_EQ(e.type, client::WatchEvent::Type::kDeleted);
  EXPECT_EQ((*watch)->Next(e, milliseconds(0)), client::WatchStream::Poll::kTimeout);

  (*watch)->Cancel();
  EXPECT_EQ((*watch)->Next(e, milliseconds(0)), client::WatchStream::Poll::kClosed);
}

TEST_F(LocalClientTest, WatchFromACompactedRevisionIsGone) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(api_.Apply(*Decode(ServiceYaml("web", i + 1))).ok());
  ASSERT_TRUE(store_.Compact(3).ok());
  auto gone = api_.Watch(services_, "1", "");
  EXPECT_EQ(gone.status().code(), Code::kOutOfRange) << "relist, then watch from the list";
  EXPECT_EQ(api_.Watch(services_, "1", "app in (").status().code(), Code::kInvalidArgument);
}

// Several writes as one transaction: all at one revision, or none when one is stale.
TEST_F(LocalClientTest, CommitWritesAllOrNothing) {
  auto web = api_.Apply(*Decode(ServiceYaml("web", 1)));
  auto db = api_.Apply(*Decode(ServiceYaml("db", 1, "db")));
  ASSERT_TRUE(web.ok() && db.ok());
  v1::Service web_status = AsService(web->object), db_status = AsService(db->object);
  web_status.mutable_status()->set_running_count(1);
  db_status.mutable_status()->set_running_count(1);
  auto committed = api_.Commit({{client::Write::Type::kUpdateStatus, &web_status},
                                {client::Write::Type::kUpdateStatus, &db_status}});
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  ASSERT_EQ(committed->size(), 2u);
  EXPECT_EQ(schema::MetaOf(*(*committed)[0]).resource_version(),
            schema::MetaOf(*(*committed)[1]).resource_version());

  // web_status still carries the revision before the commit: the whole commit is refused.
  db_status = AsService((*committed)[1]);
  db_status.mutable_status()->set_running_count(2);
  web_status.mutable_status()->set_running_count(2);
  auto stale = api_.Commit({{client::Write::Type::kUpdateStatus, &db_status},
                            {client::Write::Type::kUpdateStatus, &web_status}});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), Code::kAborted);
  EXPECT_EQ(AsService(*api_.Get(services_, "db")).status().running_count(), 1);
}

TEST_F(LocalClientTest, LaunchGoesToTheLauncherItWasGiven) {
  EXPECT_EQ(api_.Launch(v1::LaunchRequest{}).status().code(), Code::kUnimplemented);
  std::vector<std::string> asked;
  LocalClient with_launcher(objects_, [&](const v1::LaunchRequest& r) {
    asked.push_back(r.task_definition());
    return StatusOr<v1::LaunchResponse>(v1::LaunchResponse{});
  });
  v1::LaunchRequest request;
  request.set_task_definition("web:1");
  EXPECT_TRUE(with_launcher.Launch(request).ok());
  EXPECT_EQ(asked, std::vector<std::string>{"web:1"});
}

}  // namespace
}  // namespace gantry::api
