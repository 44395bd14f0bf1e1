#include "controllers/environment/daemon_breaker.h"

#include <gtest/gtest.h>

#include <memory>

namespace gantry::controllers::environment {
namespace {

class DaemonBreakerTest : public ::testing::Test {
 protected:
  const v1::Deployment* Deployment(const std::string& name, const std::string& revision,
                                   const std::string& phase, bool by_breaker = false) {
    auto d = std::make_unique<v1::Deployment>();
    d->mutable_metadata()->set_name(name);
    d->mutable_spec()->set_environment("logs");
    d->mutable_spec()->set_task_definition(revision);
    d->mutable_status()->set_phase(phase);
    d->mutable_status()->set_started_at("2026-12-07T00:00:00Z");
    if (by_breaker) {
      auto* c = d->mutable_status()->add_conditions();
      c->set_type("Stalled");
      c->set_status("True");
      c->set_reason(kCircuitBreaker);
    }
    deployments_.push_back(std::move(d));
    return deployments_.back().get();
  }
  std::vector<std::unique_ptr<v1::Deployment>> deployments_;
};

TEST_F(DaemonBreakerTest, TripsAtTheThresholdAndRollsBackToTheLastCompletedRevision) {
  const auto* now = Deployment("logs-2", "logagent:2", "IN_PROGRESS");
  const auto* before = Deployment("logs-1", "logagent:1", "COMPLETED");
  BreakerInput in{
      "logagent:2", {now, before}, 3, true, {"2026-12-07T00:00:01Z", "2026-12-07T00:00:02Z"}};
  BreakerOutcome out = ApplyBreaker(in);
  EXPECT_TRUE(out.tripped.empty());
  EXPECT_EQ(out.run, "logagent:2");
  EXPECT_EQ(out.failures, 2);
  // Failures from before the deployment started do not count.
  in.failed_at.push_back("2026-12-06T23:59:59Z");
  EXPECT_TRUE(ApplyBreaker(in).tripped.empty());
  EXPECT_EQ(ApplyBreaker(in).failures, 2);
  in.failed_at.push_back("2026-12-07T00:00:03Z");
  out = ApplyBreaker(in);
  EXPECT_EQ(out.tripped, "logs-2");
  EXPECT_EQ(out.phase, "ROLLED_BACK");
  EXPECT_EQ(out.run, "logagent:1");
  EXPECT_FALSE(out.halted);
  EXPECT_EQ(out.reason,
            "circuit breaker: 3 tasks of logagent:2 failed (threshold 3); rolled back to "
            "logagent:1");
  // Without rollback, or with nothing completed before: FAILED, and it holds.
  in.rollback = false;
  out = ApplyBreaker(in);
  EXPECT_EQ(out.phase, "FAILED");
  EXPECT_TRUE(out.halted);
  EXPECT_EQ(out.run, "logagent:2");
  in.rollback = true;
  in.deployments = {now};
  EXPECT_EQ(ApplyBreaker(in).phase, "FAILED");
  // Threshold 0: no breaker, but the failures are counted all the same.
  in.threshold = 0;
  EXPECT_TRUE(ApplyBreaker(in).tripped.empty());
  EXPECT_EQ(ApplyBreaker(in).failures, 3);
}

TEST_F(DaemonBreakerTest, AFinishedOutcomeHoldsUntilANewDeployment) {
  const auto* rolled = Deployment("logs-2", "logagent:2", "ROLLED_BACK", true);
  const auto* before = Deployment("logs-1", "logagent:1", "COMPLETED");
  BreakerOutcome out = ApplyBreaker({"logagent:2", {rolled, before}, 3, true, {}});
  EXPECT_EQ(out.run, "logagent:1");
  EXPECT_TRUE(out.tripped.empty());
  const auto* failed = Deployment("logs-2", "logagent:2", "FAILED", true);
  out = ApplyBreaker({"logagent:2", {failed, before}, 3, false, {}});
  EXPECT_TRUE(out.halted);
  // FAILED because the environment moved on (not the breaker): wanted again, it runs.
  const auto* superseded = Deployment("logs-2", "logagent:2", "FAILED", false);
  out = ApplyBreaker({"logagent:2", {superseded, before}, 3, false, {}});
  EXPECT_FALSE(out.halted);
  EXPECT_EQ(out.run, "logagent:2");
  // A revision without any deployment yet just runs.
  out = ApplyBreaker({"logagent:3", {rolled, before}, 3, true, {}});
  EXPECT_EQ(out.run, "logagent:3");
}

}  // namespace
}  // namespace gantry::controllers::environment
