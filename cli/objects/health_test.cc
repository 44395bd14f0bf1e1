#include "cli/objects/health.h"

#include <gtest/gtest.h>

#include "gantry/v1/objects.pb.h"

namespace gantry::cli {
namespace {

v1::Condition* Add(google::protobuf::RepeatedPtrField<v1::Condition>* conditions,
                   const std::string& type, const std::string& status,
                   const std::string& reason = "", const std::string& message = "") {
  auto* c = conditions->Add();
  c->set_type(type);
  c->set_status(status);
  c->set_reason(reason);
  c->set_message(message);
  return c;
}

TEST(HealthTest, AServiceIsCurrentOnlyOnceObservedAndReady) {
  v1::Service s;
  s.mutable_metadata()->set_generation(2);
  // Applied, not reported on yet.
  EXPECT_EQ(HealthOf("Service", s).health, Health::kInProgress);
  s.mutable_status()->set_observed_generation(1);  // an older spec's status
  Add(s.mutable_status()->mutable_conditions(), "Ready", "True");
  EXPECT_EQ(HealthOf("Service", s).health, Health::kInProgress);
  EXPECT_EQ(HealthOf("Service", s).message, "generation 2 not observed yet");
  s.mutable_status()->set_observed_generation(2);
  EXPECT_EQ(HealthOf("Service", s).health, Health::kCurrent);
  s.mutable_status()->clear_conditions();
  Add(s.mutable_status()->mutable_conditions(), "Ready", "False", "Deploying", "1 of 2 running");
  Add(s.mutable_status()->mutable_conditions(), "Reconciling", "True", "Deploying",
      "1 of 2 running");
  EXPECT_EQ(HealthOf("Service", s).health, Health::kInProgress);
  EXPECT_EQ(HealthOf("Service", s).message, "Deploying: 1 of 2 running");
  Add(s.mutable_status()->mutable_conditions(), "Stalled", "True", "Unplaceable", "no room");
  EXPECT_EQ(HealthOf("Service", s).health, Health::kFailed);
  EXPECT_EQ(HealthOf("Service", s).message, "Unplaceable: no room");
}

TEST(HealthTest, KindsWithoutConditionsByTheirOwnFields) {
  v1::Task t;
  t.mutable_spec()->set_desired_status("RUNNING");
  EXPECT_EQ(HealthOf("Task", t).health, Health::kInProgress);
  t.mutable_status()->set_last_status("RUNNING");
  EXPECT_EQ(HealthOf("Task", t).health, Health::kCurrent);
  t.mutable_status()->set_last_status("STOPPED");
  t.mutable_status()->set_stopped_reason("Essential container in task exited");
  EXPECT_EQ(HealthOf("Task", t).health, Health::kFailed);
  t.mutable_spec()->set_desired_status("STOPPED");  // stopped as asked
  EXPECT_EQ(HealthOf("Task", t).health, Health::kCurrent);

  v1::Deployment d;
  d.mutable_metadata()->set_generation(1);
  EXPECT_EQ(HealthOf("Deployment", d).health, Health::kInProgress);
  d.mutable_status()->set_phase("ROLLED_BACK");
  Add(d.mutable_status()->mutable_conditions(), "Stalled", "True", "CircuitBreaker");
  EXPECT_EQ(HealthOf("Deployment", d).health, Health::kFailed);
  d.mutable_status()->set_phase("COMPLETED");
  EXPECT_EQ(HealthOf("Deployment", d).health, Health::kCurrent);

  v1::ContainerInstance ci;
  EXPECT_EQ(HealthOf("ContainerInstance", ci).health, Health::kInProgress);
  ci.mutable_status()->set_agent_connected(true);
  EXPECT_EQ(HealthOf("ContainerInstance", ci).health, Health::kCurrent);

  v1::TaskDefinition td;
  td.mutable_metadata()->set_generation(1);
  EXPECT_EQ(HealthOf("TaskDefinition", td).health, Health::kCurrent);
  EXPECT_STREQ(HealthName(Health::kNotFound), "NotFound");
}

}  // namespace
}  // namespace gantry::cli
