#include "placement/snapshot.h"

#include <gtest/gtest.h>

#include "placement/testing/builders.h"

namespace gantry::placement {
namespace {

using testing::MakeInstance;

TEST(SnapshotTest, BuildFromPointersIsBuild) {
  std::vector<InstanceSpec> specs = {
      MakeInstance("i-1").Cpu(2048).Memory(4096).Ports({22}).Task("family:web", 256, 512, {80}),
      MakeInstance("i-2").Cpu(1024).Memory(1024),
  };
  std::vector<const InstanceSpec*> pointers = {&specs[0], &specs[1]};
  auto a = ClusterSnapshot::Build(specs);
  auto b = ClusterSnapshot::BuildFrom(pointers);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->size(), b->size());
  EXPECT_EQ(a->cpu_remaining(), b->cpu_remaining());
  EXPECT_EQ(a->memory_remaining(), b->memory_remaining());
  EXPECT_EQ(a->id(1), b->id(1));
  EXPECT_EQ(a->MemoryBytes(), b->MemoryBytes());
  // Errors name the same fields.
  specs[1].id = "i-1";
  auto dup = ClusterSnapshot::BuildFrom(pointers);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().field, "instances[1].id");
}

TEST(SnapshotTest, RemainingResourcesPortsAndGroups) {
  auto s = ClusterSnapshot::Build({
      MakeInstance("i-1")
          .Cpu(2048)
          .Memory(4096)
          .Ports({22})
          .Task("family:web", 256, 512, {80})
          .Task("family:web", 256, 512, {8080})
          .Task("db", 100, 100),
      MakeInstance("i-2").Cpu(1024).Memory(1024),
  });
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 2u);
  EXPECT_EQ(s->cpu_remaining()[0], 2048 - 612);
  EXPECT_EQ(s->memory_remaining()[0], 4096 - 1124);
  EXPECT_EQ(s->running_tasks_count()[0], 3);
  for (int32_t port : {22, 80, 8080}) {
    ASSERT_NE(s->port_users(port), nullptr) << port;
    EXPECT_TRUE(s->port_users(port)->Contains(0));
    EXPECT_FALSE(s->port_users(port)->Contains(1));
  }
  ASSERT_NE(s->port_users(80), nullptr);
  EXPECT_EQ(s->port_users(80)->count(), 1u);
  EXPECT_EQ(s->port_users(443), nullptr);
  auto web = s->group_id("family:web");
  ASSERT_TRUE(web.has_value());
  auto members = s->group_members(*web);
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].key, 0u);
  EXPECT_EQ(members[0].count, 2u);
  EXPECT_FALSE(s->group_id("nope").has_value());
}

TEST(SnapshotTest, StatusAndEligibility) {
  auto s = ClusterSnapshot::Build({MakeInstance("a"), MakeInstance("b").Draining(),
                                   MakeInstance("c").Disconnected(), MakeInstance("d").Inactive()});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->eligible().Test(0));
  EXPECT_FALSE(s->eligible().Test(1));
  EXPECT_FALSE(s->eligible().Test(2));
  EXPECT_FALSE(s->eligible().Test(3));
  EXPECT_TRUE(s->agent_connected(1));
  EXPECT_FALSE(s->agent_connected(2));
  EXPECT_EQ(s->status(3), InstanceStatus::kInactive);
}

TEST(SnapshotTest, AttributesAreInterned) {
  auto s = ClusterSnapshot::Build({MakeInstance("a").Zone("z1").Attr("x", "1"),
                                   MakeInstance("b").Zone("z2"), MakeInstance("c").Zone("z1")});
  ASSERT_TRUE(s.ok());
  auto zone = s->attribute_id("ecs.availability-zone");
  ASSERT_TRUE(zone.has_value());
  const ValueIndex& vi = s->attribute(*zone);
  EXPECT_EQ(vi.size(), 2u);
  EXPECT_EQ(vi.present().count(), 3u);
  auto z1 = vi.Find("z1");
  ASSERT_TRUE(z1.has_value());
  EXPECT_EQ(vi.members(*z1).count(), 2u);
  EXPECT_EQ(s->AttributeValue(0, *zone), *z1);
  EXPECT_EQ(s->AttributeValue(1, *s->attribute_id("x")), kNoValue);
  EXPECT_EQ(s->ec2_instance_id(1), "b");
}

TEST(SnapshotTest, SnapshotSurvivesMoves) {
  // The intern tables hold views into the snapshot's strings; moving must keep them valid.
  std::vector<InstanceSpec> in;
  for (int i = 0; i < 100; ++i) {
    in.push_back(MakeInstance("i-" + std::to_string(i))
                     .Attr("long-attribute-name-" + std::to_string(i % 7),
                           "a-value-long-enough-to-allocate-" + std::to_string(i % 5)));
  }
  auto built = ClusterSnapshot::Build(in);
  ASSERT_TRUE(built.ok());
  ClusterSnapshot moved = std::move(built).value();
  ClusterSnapshot again = std::move(moved);
  auto id = again.attribute_id("long-attribute-name-3");
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(again.attribute(*id).Find("a-value-long-enough-to-allocate-3").has_value());
}

struct BadCase {
  InstanceSpec spec;
  std::string field;
  const char* message;
};

TEST(SnapshotTest, ValidationNamesTheField) {
  const BadCase cases[] = {
      {MakeInstance(""), "instances[1].id", "is required"},
      {MakeInstance("x").Cpu(-1), "instances[1].cpu", "must be between 0"},
      {MakeInstance("x").Memory(int64_t{1} << 31), "instances[1].memory",
       "must be between 0 and 2147483647"},
      {MakeInstance("x").Ports({0}), "instances[1].ports[0]", "outside 1-65535"},
      {MakeInstance("x").Task(""), "instances[1].tasks[0].group", "is required"},
      {MakeInstance("x").Task("g", -5), "instances[1].tasks[0].cpu", "must be between 0"},
      {MakeInstance("x").Task("g", 0, 0, {70000}), "instances[1].tasks[0].ports[0]", "outside"},
      {MakeInstance("x").Attr("a", "1").Attr("a", "2"), "instances[1].attributes",
       "more than once"},
      {MakeInstance("x").Attr("", "1"), "instances[1].attributes", "attribute name is empty"},
      {MakeInstance("ok"), "instances[1].id", "duplicate id 'ok' (also instances[0])"},
      {MakeInstance(std::string(256, 'x')), "instances[1].id", "longer than 255"},
  };
  for (const auto& c : cases) {
    auto s = ClusterSnapshot::Build({MakeInstance("ok"), c.spec});
    ASSERT_FALSE(s.ok()) << c.field;
    EXPECT_EQ(s.error().field, c.field);
    EXPECT_NE(s.error().message.find(c.message), std::string::npos) << s.error().message;
  }
}

// ValidateInstance says, per instance, what Build would say, with paths relative to the instance:
// a server checks each object on its own and leaves out the ones placement would refuse.
TEST(SnapshotTest, ValidateInstanceAgreesWithBuild) {
  const BadCase cases[] = {
      {MakeInstance(""), "id", "is required"},
      {MakeInstance("x").Ec2(std::string(256, 'i')), "ec2InstanceId", "longer than 255"},
      {MakeInstance("x").Cpu(-1), "cpu", "must be between 0"},
      {MakeInstance("x").Ports({0}), "ports[0]", "outside 1-65535"},
      {MakeInstance("x").Task(""), "tasks[0].group", "is required"},
      {MakeInstance("x").Task("g").Task("g", -5), "tasks[1].cpu", "must be between 0"},
      {MakeInstance("x").Task("g", 0, int64_t{1} << 31), "tasks[0].memory", "must be between 0"},
      {MakeInstance("x").Task("g", 0, 0, {70000}), "tasks[0].ports[0]", "outside"},
      {MakeInstance("x").Attr("a", "1").Attr("b", "").Attr("a", "2"), "attributes",
       "attribute 'a' is given more than once"},
      {MakeInstance("x").Attr("", "1"), "attributes", "attribute name is empty"},
      {MakeInstance("x").Attr(std::string(129, 'n'), "1"), "attributes." + std::string(129, 'n'),
       "longer than 128"},
      {MakeInstance("x").Attr("a", std::string(1025, 'v')), "attributes.a", "longer than 1024"},
  };
  for (const auto& c : cases) {
    Status st = ValidateInstance(c.spec);
    ASSERT_FALSE(st.ok()) << c.field;
    EXPECT_EQ(st.error().field, c.field);
    EXPECT_NE(st.error().message.find(c.message), std::string::npos) << st.error().message;
    EXPECT_FALSE(ClusterSnapshot::Build({c.spec}).ok()) << c.field;
  }
  InstanceSpec good = MakeInstance("x")
                          .Ec2(std::string(255, 'i'))
                          .Attr("a", std::string(1024, 'v'))
                          .Attr("b", "")
                          .Task("g", 2048, 4096, {80})
                          .Ports({22});
  EXPECT_TRUE(ValidateInstance(good).ok());
  EXPECT_TRUE(ClusterSnapshot::Build({good}).ok());
}

TEST(SnapshotTest, EmptyCluster) {
  auto s = ClusterSnapshot::Build({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 0u);
  EXPECT_GT(s->MemoryBytes(), 0u);
}

}  // namespace
}  // namespace gantry::placement
