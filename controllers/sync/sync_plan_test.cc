#include "controllers/sync/sync_plan.h"

#include <gtest/gtest.h>

namespace gantry::controllers::sync {
namespace {

const v1::Condition* Find(const v1::SyncStatus& s, const std::string& type) {
  for (const auto& c : s.conditions())
    if (c.type() == type) return &c;
  return nullptr;
}

v1::Sync SyncAt(int generation) {
  v1::Sync s;
  s.mutable_metadata()->set_name("prod");
  s.mutable_metadata()->set_generation(generation);
  s.mutable_spec()->mutable_git()->set_url("/repo.git");
  return s;
}

TEST(SyncPlanTest, AFullApplyIsReadyAndChangesOnTheSameRevisionAreDrift) {
  v1::Sync sync = SyncAt(2);
  SyncPass pass;
  pass.revision = std::string(40, 'a');
  pass.changed = {"service/web"};
  pass.members = 3;
  v1::SyncStatus first = StatusAfter(sync, pass, "2026-12-07T10:00:00Z", "");
  EXPECT_EQ(first.observed_generation(), 2);
  EXPECT_EQ(first.last_applied_revision(), pass.revision);
  EXPECT_EQ(first.last_attempted_revision(), pass.revision);
  EXPECT_EQ(first.members(), 3);
  EXPECT_EQ(first.drift_size(), 0) << "a new revision's changes are not drift";
  ASSERT_TRUE(Find(first, "Ready"));
  EXPECT_EQ(Find(first, "Ready")->status(), "True");
  EXPECT_EQ(Find(first, "Ready")->message(), "Applied revision main@aaaaaaaaaaaa");
  EXPECT_EQ(Find(first, "Stalled")->status(), "False");

  *sync.mutable_status() = first;
  v1::SyncStatus again = StatusAfter(sync, pass, "2026-12-07T10:01:00Z", "");
  ASSERT_EQ(again.drift_size(), 1);
  EXPECT_EQ(again.drift(0), "service/web");
  EXPECT_EQ(Find(again, "Ready")->last_transition_time(), "2026-12-07T10:00:00Z");
}

TEST(SyncPlanTest, ABadCommitStallsAndKeepsTheLastGoodRevision) {
  v1::Sync sync = SyncAt(1);
  sync.mutable_status()->set_last_applied_revision(std::string(40, 'a'));
  SyncPass bad;
  bad.revision = std::string(40, 'b');
  bad.error = api::InvalidArgument("spec.desiredCount",
                                   "web.yaml: document 1, line 3: must not be negative");
  bad.own_error = true;
  bad.reason = "InvalidManifest";
  v1::SyncStatus status = StatusAfter(sync, bad, "2026-12-07T10:00:00Z", "");
  EXPECT_EQ(status.last_applied_revision(), std::string(40, 'a'));
  EXPECT_EQ(status.last_attempted_revision(), std::string(40, 'b'));
  EXPECT_EQ(Find(status, "Stalled")->status(), "True");
  EXPECT_EQ(Find(status, "Stalled")->reason(), "InvalidManifest");
  EXPECT_NE(Find(status, "Stalled")->message().find("web.yaml: document 1, line 3"),
            std::string::npos);
  EXPECT_EQ(Find(status, "Ready")->status(), "False");

  SyncPass unreachable;
  unreachable.error = api::Status(api::Code::kUnavailable, "fetching /repo.git: no route");
  unreachable.reason = "GitFetchFailed";
  v1::SyncStatus retrying = StatusAfter(sync, unreachable, "2026-12-07T10:00:00Z", "r1");
  EXPECT_EQ(Find(retrying, "Reconciling")->status(), "True");
  EXPECT_EQ(Find(retrying, "Stalled")->status(), "False");
  EXPECT_EQ(retrying.last_handled_request(), "r1");
}

TEST(SyncPlanTest, IntervalsAndSuspension) {
  v1::SyncSpec spec;
  EXPECT_EQ(IntervalOf(spec), std::chrono::minutes(1));
  spec.set_interval("30s");
  EXPECT_EQ(IntervalOf(spec), std::chrono::seconds(30));
  v1::Sync sync = SyncAt(4);
  v1::SyncStatus suspended = SuspendedStatus(sync, "2026-12-07T10:00:00Z");
  EXPECT_EQ(suspended.observed_generation(), 4);
  EXPECT_EQ(Find(suspended, "Reconciling")->status(), "False");
  EXPECT_EQ(Find(suspended, "Stalled")->status(), "False");
  EXPECT_EQ(Find(suspended, "Ready")->reason(), "Suspended");
}

}  // namespace
}  // namespace gantry::controllers::sync
