#include "api/client/apply_set.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "gantry/v1/objects.pb.h"

namespace gantry::client {
namespace {

using api::Code;
using api::Status;

// A store of objects by kind and name, as gantryd keeps them for an apply set: outcomes,
// resourceVersions, dry runs that write nothing, and objects it refuses.
class FakeTarget : public ApplySetTarget {
 public:
  api::StatusOr<std::unique_ptr<google::protobuf::Message>> Get(const schema::KindInfo& kind,
                                                                const std::string& name) override {
    auto it = objects_.find({kind.kind, name});
    if (it == objects_.end()) return std::unique_ptr<google::protobuf::Message>();
    auto copy = std::unique_ptr<google::protobuf::Message>(it->second->New());
    copy->CopyFrom(*it->second);
    return copy;
  }

  api::StatusOr<std::string> Apply(const schema::KindInfo& kind,
                                   const google::protobuf::Message& object,
                                   const ApplyOptions& options) override {
    const bool dry_run = options.dry_run;
    const ObjectKey key{kind.kind, schema::MetaOf(object).name()};
    if (refuse.count(key.name)) {
      return Status(Code::kInvalidArgument, "spec.desiredCount: must be at least 0",
                    "spec.desiredCount");
    }
    auto it = objects_.find(key);
    auto stored = std::unique_ptr<google::protobuf::Message>(object.New());
    stored->CopyFrom(object);
    std::string outcome = "created";
    if (it != objects_.end()) {
      auto before = std::unique_ptr<google::protobuf::Message>(it->second->New());
      before->CopyFrom(*it->second);
      schema::MutableMetaOf(*before)->clear_resource_version();
      outcome =
          before->SerializeAsString() == stored->SerializeAsString() ? "unchanged" : "configured";
    }
    if (dry_run) return outcome;
    ++writes;
    if (outcome != "unchanged") {
      schema::MutableMetaOf(*stored)->set_resource_version(std::to_string(++revision_));
      objects_[key] = std::move(stored);
    }
    return outcome;
  }

  api::Status Delete(const schema::KindInfo& kind, const std::string& name,
                     const std::string& resource_version, bool dry_run) override {
    auto it = objects_.find({kind.kind, name});
    if (it == objects_.end()) return Status(Code::kNotFound, name + " not found");
    if (schema::MetaOf(*it->second).resource_version() != resource_version)
      return Status(Code::kAborted, "the object changed");
    if (fail_deletes) return Status(Code::kUnavailable, "the store is down");
    if (!dry_run) {
      ++writes;
      objects_.erase(it);
    }
    return {};
  }

  bool Has(const std::string& kind, const std::string& name) const {
    return objects_.count({kind, name}) > 0;
  }
  std::set<ObjectKey> Members(const std::string& inventory) const {
    std::set<ObjectKey> out;
    auto it = objects_.find({"Inventory", inventory});
    if (it == objects_.end()) return out;
    for (const auto& m : static_cast<const v1::Inventory&>(*it->second).spec().members())
      out.insert({m.kind(), m.name()});
    return out;
  }
  // Someone else's write: the object as another tool leaves it.
  void Put(const google::protobuf::Message& object) {
    auto copy = std::unique_ptr<google::protobuf::Message>(object.New());
    copy->CopyFrom(object);
    schema::MutableMetaOf(*copy)->set_resource_version(std::to_string(++revision_));
    objects_[{schema::KindOf(object)->kind, schema::MetaOf(object).name()}] = std::move(copy);
  }

  std::set<std::string> refuse;  // names whose apply fails validation
  bool fail_deletes = false;
  int writes = 0;

 private:
  std::map<ObjectKey, std::unique_ptr<google::protobuf::Message>> objects_;
  int revision_ = 0;
};

v1::Service Svc(const std::string& name, int desired = 2) {
  v1::Service s;
  schema::SetTypeMeta(s, *schema::FindKind("Service"));
  s.mutable_metadata()->set_name(name);
  s.mutable_spec()->set_cluster("default");
  s.mutable_spec()->set_task_definition("web");
  s.mutable_spec()->set_desired_count(desired);
  return s;
}

v1::TaskDefinition Td(const std::string& name) {
  v1::TaskDefinition td;
  schema::SetTypeMeta(td, *schema::FindKind("TaskDefinition"));
  td.mutable_metadata()->set_name(name);
  return td;
}

class ApplySetTest : public ::testing::Test {
 protected:
  ApplySetResult Apply(const std::vector<const google::protobuf::Message*>& manifests,
                       const std::string& inventory = "prod", bool dry_run = false) {
    std::vector<ApplySetObject> objects;
    for (const auto* m : manifests)
      objects.push_back({schema::KindOf(*m), m, "dir/app.yaml: document 1, line 1"});
    return RunApplySet(target_, objects, {inventory, dry_run, /*prune=*/true});
  }
  static std::vector<std::string> Lines(const ApplySetResult& r) {
    std::vector<std::string> out;
    for (const auto& l : r.lines)
      out.push_back(Describe(l.key) + " " + (l.error.ok() ? l.outcome : l.error.ToString()));
    return out;
  }

  FakeTarget target_;
};

TEST_F(ApplySetTest, PrunesWhatLeftTheManifestsAndRecordsTheSet) {
  v1::TaskDefinition web = Td("web");
  v1::Service a = Svc("a"), b = Svc("b");
  auto first = Apply({&a, &web, &b});  // task definitions go first whatever the file order
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Lines(first), (std::vector<std::string>{"taskdefinition/web created",
                                                    "service/a created", "service/b created"}));
  EXPECT_EQ(target_.Members("prod"),
            (std::set<ObjectKey>{{"Service", "a"}, {"Service", "b"}, {"TaskDefinition", "web"}}));
  auto stored = target_.Get(*schema::FindKind("Service"), "a");
  EXPECT_EQ(OwningInventory(**stored), "prod");

  auto second = Apply({&web, &a});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Lines(second), (std::vector<std::string>{"taskdefinition/web unchanged",
                                                     "service/a unchanged", "service/b pruned"}));
  EXPECT_FALSE(target_.Has("Service", "b"));
  EXPECT_EQ(target_.Members("prod"),
            (std::set<ObjectKey>{{"Service", "a"}, {"TaskDefinition", "web"}}));
}

TEST_F(ApplySetTest, NeverDeletesWhatTheInventoryDidNotApply) {
  v1::Service mine = Svc("mine"), theirs = Svc("theirs");
  target_.Put(theirs);  // made by hand, in no inventory
  ASSERT_TRUE(Apply({&mine}).ok());
  auto again = Apply({});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(target_.Has("Service", "mine"));
  EXPECT_TRUE(target_.Has("Service", "theirs"));
}

TEST_F(ApplySetTest, AnObjectOfAnotherInventoryIsRefusedAndNothingIsWritten) {
  v1::Service shared = Svc("shared");
  ASSERT_TRUE(Apply({&shared}, "team-a").ok());
  v1::Service other = Svc("other");
  ASSERT_TRUE(Apply({&other}, "team-b").ok());
  const int writes = target_.writes;
  auto taken = Apply({&other, &shared}, "team-b");
  EXPECT_FALSE(taken.ok());
  ASSERT_EQ(taken.lines.size(), 1u);
  EXPECT_EQ(taken.lines[0].error.code(), Code::kFailedPrecondition);
  EXPECT_NE(taken.lines[0].error.message().find("belongs to inventory \"team-a\""),
            std::string::npos)
      << taken.lines[0].error.ToString();
  EXPECT_EQ(target_.writes, writes) << "a refused set wrote something";
  // A manifest that labels itself for another inventory is refused before anything is read.
  v1::Service labelled = Svc("labelled");
  (*labelled.mutable_metadata()->mutable_labels())[std::string(kInventoryLabel)] = "team-a";
  auto mislabelled = Apply({&labelled}, "team-b");
  ASSERT_FALSE(mislabelled.ok());
  EXPECT_EQ(mislabelled.lines[0].error.field(), "metadata.labels.gantry.dev/inventory");
}

TEST_F(ApplySetTest, ABadManifestAppliesNothingAndPrunesNothing) {
  v1::Service a = Svc("a"), b = Svc("b");
  ASSERT_TRUE(Apply({&a, &b}).ok());
  const int writes = target_.writes;
  v1::Service changed = Svc("a", 5), bad = Svc("bad");
  target_.refuse.insert("bad");
  auto result = Apply({&changed, &bad});  // b left, a changed, bad is invalid
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(target_.writes, writes);
  EXPECT_TRUE(target_.Has("Service", "b")) << "a bad commit pruned";
  auto a_now = target_.Get(*schema::FindKind("Service"), "a");
  EXPECT_EQ(static_cast<const v1::Service&>(**a_now).spec().desired_count(), 2);
  ASSERT_FALSE(result.lines.empty());
  EXPECT_NE(result.lines.back().error.message().find(
                "dir/app.yaml: document 1, line 1: spec.desiredCount: must be"),
            std::string::npos)
      << result.lines.back().error.ToString();
}

TEST_F(ApplySetTest, ADryRunSaysWhatWouldBePrunedAndWritesNothing) {
  v1::Service a = Svc("a"), b = Svc("b");
  ASSERT_TRUE(Apply({&a, &b}).ok());
  const int writes = target_.writes;
  v1::Service a5 = Svc("a", 5);
  auto dry = Apply({&a5}, "prod", /*dry_run=*/true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(Lines(dry), (std::vector<std::string>{"service/a configured", "service/b pruned"}));
  EXPECT_EQ(target_.writes, writes);
  EXPECT_TRUE(target_.Has("Service", "b"));
}

TEST_F(ApplySetTest, AMemberRelabelledByHandIsKeptAndAFailedDeleteIsTriedAgain) {
  v1::Service a = Svc("a"), b = Svc("b"), c = Svc("c");
  ASSERT_TRUE(Apply({&a, &b, &c}).ok());
  v1::Service adopted = Svc("b");  // someone moved b out of the set
  target_.Put(adopted);
  target_.fail_deletes = true;
  auto result = Apply({&a});
  EXPECT_FALSE(result.ok());  // c could not be deleted
  EXPECT_TRUE(target_.Has("Service", "b"));
  EXPECT_TRUE(target_.Has("Service", "c"));
  EXPECT_EQ(target_.Members("prod"), (std::set<ObjectKey>{{"Service", "a"}, {"Service", "c"}}))
      << "c stays listed so the next apply prunes it";
  target_.fail_deletes = false;
  auto retried = Apply({&a});
  ASSERT_TRUE(retried.ok());
  EXPECT_FALSE(target_.Has("Service", "c"));
  EXPECT_EQ(target_.Members("prod"), (std::set<ObjectKey>{{"Service", "a"}}));
}

TEST_F(ApplySetTest, WithoutPruneNothingIsDeletedAndLeaversStayListed) {
  v1::Service a = Svc("a"), b = Svc("b");
  ASSERT_TRUE(Apply({&a, &b}).ok());
  std::vector<ApplySetObject> only_a{{schema::KindOf(a), &a, ""}};
  auto kept = RunApplySet(target_, only_a, {"prod", false, /*prune=*/false});
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept.pruned().empty());
  EXPECT_TRUE(target_.Has("Service", "b"));
  EXPECT_EQ(target_.Members("prod"), (std::set<ObjectKey>{{"Service", "a"}, {"Service", "b"}}));
  ASSERT_TRUE(Apply({&a}).ok());  // pruning on again: b goes now
  EXPECT_FALSE(target_.Has("Service", "b"));
}

TEST(ApplySetOrderTest, PrunesDependentsFirst) {
  auto order = PruneOrder({{"TaskDefinition", "web"},
                           {"Service", "b"},
                           {"Deployment", "d"},
                           {"Environment", "e"},
                           {"Service", "a"},
                           {"Cluster", "c"}},
                          {{"Service", "b"}});
  std::vector<std::string> names;
  for (const auto& k : order) names.push_back(Describe(k));
  EXPECT_EQ(names, (std::vector<std::string>{"deployment/d", "environment/e", "service/a",
                                             "taskdefinition/web", "cluster/c"}));
}

TEST_F(ApplySetTest, AnInventoryIsNotAMemberAndNoObjectIsGivenTwice) {
  v1::Inventory inv;
  schema::SetTypeMeta(inv, *schema::FindKind("Inventory"));
  inv.mutable_metadata()->set_name("nested");
  v1::Service a = Svc("a"), a_again = Svc("a", 3);
  auto result = Apply({&inv, &a, &a_again});
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.lines.size(), 2u);
  EXPECT_EQ(result.lines[0].error.field(), "kind");
  EXPECT_NE(result.lines[1].error.message().find("given twice"), std::string::npos);
  EXPECT_EQ(target_.writes, 0);
}

}  // namespace
}  // namespace gantry::client
