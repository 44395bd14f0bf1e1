#include "api/schema/field_paths.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "gantry/v1/objects.pb.h"

namespace gantry::schema {
namespace {

v1::Service Web() {
  v1::Service s;
  s.mutable_metadata()->set_name("web");
  (*s.mutable_metadata()->mutable_labels())["gantry.dev/inventory"] = "prod";
  (*s.mutable_metadata()->mutable_labels())["app"] = "web";
  s.mutable_spec()->set_desired_count(3);
  s.mutable_spec()->set_task_definition("web:1");
  s.mutable_spec()->mutable_deployment_configuration()->set_maximum_percent(150);
  s.mutable_spec()->add_placement_strategy()->set_type("spread");
  return s;
}

TEST(FieldPathsTest, OverlapIsEqualityOrNestingAtAStepBoundary) {
  EXPECT_TRUE(FieldsOverlap("spec.desiredCount", "spec.desiredCount"));
  EXPECT_TRUE(
      FieldsOverlap("spec.deploymentConfiguration", "spec.deploymentConfiguration.maximumPercent"));
  EXPECT_TRUE(FieldsOverlap("metadata.labels[app]", "metadata.labels"));
  EXPECT_FALSE(FieldsOverlap("spec.desired", "spec.desiredCount"));
  EXPECT_FALSE(FieldsOverlap("metadata.labels[app]", "metadata.labels[app2]"));
  EXPECT_EQ(MapKeyPath("metadata.labels", "gantry.dev/inventory"),
            "metadata.labels[gantry.dev/inventory]");
}

TEST(FieldPathsTest, CopyCompareAndClearOneFieldAtATime) {
  const v1::Service from = Web();
  v1::Service to;
  EXPECT_FALSE(SameValueAt(from, to, "spec.desiredCount"));
  CopyFieldAt(from, to, "spec.desiredCount");
  CopyFieldAt(from, to, "metadata.labels[gantry.dev/inventory]");  // a key with dots
  CopyFieldAt(from, to, "spec.deploymentConfiguration.maximumPercent");
  CopyFieldAt(from, to, "spec.placementStrategy");  // a list goes whole
  EXPECT_EQ(to.spec().desired_count(), 3);
  EXPECT_EQ(to.metadata().labels().at("gantry.dev/inventory"), "prod");
  EXPECT_EQ(to.metadata().labels().count("app"), 0u);
  EXPECT_EQ(to.spec().deployment_configuration().maximum_percent(), 150);
  EXPECT_FALSE(to.spec().deployment_configuration().has_minimum_healthy_percent())
      << "an unset optional field is copied as unset, not as 0";
  ASSERT_EQ(to.spec().placement_strategy_size(), 1);
  EXPECT_TRUE(SameValueAt(from, to, "spec.desiredCount"));
  EXPECT_TRUE(SameValueAt(from, to, "spec.placementStrategy"));
  EXPECT_FALSE(SameValueAt(from, to, "spec.taskDefinition"));
  EXPECT_FALSE(SameValueAt(from, to, "metadata.labels[app]")) << "a missing key is a value";

  CopyFieldAt(to, to, "metadata.labels[none]");  // copying an absent key removes it: no-op
  ClearFieldAt(to, "metadata.labels[gantry.dev/inventory]");
  ClearFieldAt(to, "spec.desiredCount");
  ClearFieldAt(to, "spec.placementStrategy");
  EXPECT_TRUE(to.metadata().labels().empty());
  EXPECT_EQ(to.spec().desired_count(), 0);
  EXPECT_EQ(to.spec().placement_strategy_size(), 0);

  // Paths that name nothing are ignored, never a crash (they may come from a client).
  for (const char* bogus : {"", ".", "spec.", "spec..x", "spec.nope", "spec.desiredCount.x",
                            "spec.placementStrategy.type", "metadata.labels", "metadata.name[x]",
                            "metadata.labels[", "spec[x]", "metadata.labels[a]b"}) {
    v1::Service copy = from;
    CopyFieldAt(Web(), copy, bogus);
    ClearFieldAt(copy, bogus);
    EXPECT_TRUE(SameValueAt(from, copy, bogus)) << bogus;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(copy, from)) << bogus;
  }
}

TEST(FieldPathsTest, ChangedFieldsAreLeavesAndRemovedKeys) {
  const v1::Service before = Web();
  v1::Service after = before;
  after.mutable_spec()->set_desired_count(5);
  after.mutable_spec()->mutable_deployment_configuration()->set_minimum_healthy_percent(50);
  after.mutable_spec()->mutable_placement_strategy(0)->set_field("memory");
  after.mutable_metadata()->mutable_labels()->erase("app");
  (*after.mutable_metadata()->mutable_labels())["tier"] = "front";

  FieldChanges spec = ChangedFields(before, after, "spec");
  EXPECT_EQ(spec.changed, (FieldSet{"spec.deploymentConfiguration.minimumHealthyPercent",
                                    "spec.desiredCount", "spec.placementStrategy"}));
  EXPECT_TRUE(spec.removed.empty());
  FieldChanges labels = ChangedFields(before, after, "metadata.labels");
  EXPECT_EQ(labels.changed, FieldSet{"metadata.labels[tier]"});
  EXPECT_EQ(labels.removed, FieldSet{"metadata.labels[app]"});

  // A message that appears empty is a change of its own path.
  v1::Service empty_config = before;
  empty_config.mutable_spec()->clear_deployment_configuration();
  v1::Service with_empty = empty_config;
  with_empty.mutable_spec()->mutable_deployment_configuration();
  EXPECT_EQ(ChangedFields(empty_config, with_empty, "spec").changed,
            FieldSet{"spec.deploymentConfiguration"});
  EXPECT_TRUE(ChangedFields(before, before, "spec").changed.empty());
}

}  // namespace
}  // namespace gantry::schema
