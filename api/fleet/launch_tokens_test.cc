// clientToken idempotency of RunTask and StartTask over a memory store: a repeat answers with the
// first call's tasks and failures, also from a new TaskService over the same store (a restart)
// and after a crash that kept the record from being written; other parameters are a conflict;
// the record expires after 24 hours. And the recount of every instance at start.
#include "api/fleet/launch_tokens.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "api/fleet/testing/fleet_harness.h"

namespace gantry::fleet {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

std::vector<std::string> IdsOf(const LaunchResult& result) {
  std::vector<std::string> ids;
  for (const auto& t : result.tasks) ids.push_back(t->metadata().name());
  return ids;
}

TEST(ClientTokenTest, BotocoreRule) {
  EXPECT_TRUE(ValidateClientToken("").ok());
  EXPECT_TRUE(ValidateClientToken("3f1c2b7e-9a4d-4f0e-8c55-0d1a2b3c4d5e").ok());
  EXPECT_TRUE(ValidateClientToken(std::string(64, 'a')).ok());
  std::string every;
  for (int c = 33; c <= 126; ++c) every += static_cast<char>(c);
  EXPECT_TRUE(ValidateClientToken(every.substr(0, 64)).ok());
  EXPECT_TRUE(ValidateClientToken(every.substr(64)).ok());

  auto too_long = ValidateClientToken(std::string(65, 'a'));
  EXPECT_EQ(too_long.code(), api::Code::kInvalidArgument);
  EXPECT_EQ(too_long.field(), "clientToken");
  EXPECT_NE(too_long.message().find("65"), std::string::npos) << too_long.message();
  for (std::string bad : {std::string("with space"), std::string("tab\tx"), std::string("del\x7f"),
                          std::string("utf8-\xc3\xa9")}) {
    auto st = ValidateClientToken(bad);
    EXPECT_EQ(st.code(), api::Code::kInvalidArgument) << bad;
    EXPECT_EQ(st.field(), "clientToken") << bad;
  }
}

TEST(ClientTokenTest, FingerprintIsTheRequestAsGiven) {
  LaunchRequest a;
  a.cluster = "demo";
  a.task_definition = "myapp";
  a.count = 2;
  a.constraints = {Constraint("memberOf", "attribute:ecs.instance-type == t2.small")};
  a.client_token = "one";
  LaunchRequest b = a;
  b.client_token = "two";  // the token is not a parameter
  b.cluster = "arn:aws:ecs:us-east-1:000000000000:cluster/demo";
  b.task_definition = "arn:aws:ecs:us-east-1:000000000000:task-definition/myapp";
  EXPECT_EQ(LaunchFingerprint("RunTask", a), LaunchFingerprint("RunTask", b));
  EXPECT_NE(LaunchFingerprint("RunTask", a), LaunchFingerprint("StartTask", a));
  b = a;
  b.count = 3;
  EXPECT_NE(LaunchFingerprint("RunTask", a), LaunchFingerprint("RunTask", b));
  b = a;
  b.constraints[0].clear_expression();
  EXPECT_NE(LaunchFingerprint("RunTask", a), LaunchFingerprint("RunTask", b));
  b = a;
  b.task_definition = "myapp:1";
  EXPECT_NE(LaunchFingerprint("RunTask", a), LaunchFingerprint("RunTask", b));
  // Length-prefixed: moving a character between neighbouring fields changes it.
  b = a;
  b.group = "ab";
  LaunchRequest c = a;
  c.group = "a";
  c.started_by = "b";
  EXPECT_NE(LaunchFingerprint("RunTask", b), LaunchFingerprint("RunTask", c));
}

class LaunchTokenTest : public testing::FleetHarness {
 protected:
  LaunchRequest Run(int count, const std::string& token) {
    LaunchRequest req;
    req.cluster = "demo";
    req.task_definition = "myapp";
    req.count = count;
    req.client_token = token;
    return req;
  }

  size_t TaskCount() {
    TaskFilter every;
    every.cluster = "demo";
    every.desired_status = "";
    return tasks_.ListTasks(every).size();
  }

  // A second gantryd over the same store: fresh informers and services, recovered at start.
  std::unique_ptr<testing::StandaloneFleet> Restart() {
    auto r = std::make_unique<testing::StandaloneFleet>(store_, clock_, 7);
    api::Status st = r->tasks.Recover();
    EXPECT_TRUE(st.ok()) << st.ToString();
    return r;
  }

  // The record a crash kept from being written: the tasks exist, their record does not.
  void DropRecords() {
    auto listed = store_.List(kLaunchTokenPrefix);
    ASSERT_TRUE(listed.ok());
    ASSERT_FALSE(listed->items.empty());
    for (const auto& kv : listed->items) ASSERT_TRUE(store_.Delete(kv.key, 0).ok());
  }

  void WaitForCache(const FleetView& fleet) { ASSERT_TRUE(testing::CaughtUp(fleet, objects_)); }
};

TEST_F(LaunchTokenTest, RepeatAnswersWithTheFirstTasks) {
  RegisterNine();
  auto first = tasks_.RunTask(Run(3, "retry-me"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->tasks.size(), 3u);
  auto counts_before =
      (*instances_.Get("demo", first->tasks[0]->spec().container_instance()))->status();

  auto again = tasks_.RunTask(Run(3, "retry-me"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(IdsOf(*again), IdsOf(*first));
  EXPECT_TRUE(again->failures.empty());
  EXPECT_EQ(TaskCount(), 3u) << "a repeat placed new tasks";
  auto counts_after =
      (*instances_.Get("demo", first->tasks[0]->spec().container_instance()))->status();
  EXPECT_EQ(counts_after.pending_tasks_count(), counts_before.pending_tasks_count());
  EXPECT_EQ(counts_after.remaining_resources().memory(),
            counts_before.remaining_resources().memory());

  // A new token is a new launch; no token launches every time.
  auto other = tasks_.RunTask(Run(3, "another"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->tasks.size(), 3u);
  EXPECT_EQ(TaskCount(), 6u);
  ASSERT_TRUE(tasks_.RunTask(Run(1, "")).ok());
  ASSERT_TRUE(tasks_.RunTask(Run(1, "")).ok());
  EXPECT_EQ(TaskCount(), 8u);
}

TEST_F(LaunchTokenTest, SameTokenOtherParametersIsAConflictNamingTheFirstTasks) {
  RegisterNine();
  auto first = tasks_.RunTask(Run(2, "tok"));
  ASSERT_TRUE(first.ok());
  for (auto changed : {Run(3, "tok"), [&] {
                         auto r = Run(2, "tok");
                         r.started_by = "someone-else";
                         return r;
                       }()}) {
    auto conflict = tasks_.RunTask(changed);
    ASSERT_FALSE(conflict.ok());
    EXPECT_EQ(conflict.status().code(), api::Code::kAlreadyExists);
    EXPECT_EQ(conflict.status().field(), "clientToken");
    EXPECT_NE(conflict.status().message().find(first->tasks[0]->metadata().name()),
              std::string::npos)
        << conflict.status().message();
  }
  // StartTask with a RunTask's token is another request too.
  LaunchRequest start = Run(1, "tok");
  start.container_instances = {"i-00"};
  EXPECT_EQ(tasks_.StartTask(start).status().code(), api::Code::kAlreadyExists);
  std::vector<std::string> arns = tasks_.ClientTokenTaskArns("tok");
  ASSERT_EQ(arns.size(), 2u);
  EXPECT_EQ(arns[0], names_.TaskArn("demo", first->tasks[0]->metadata().name()));
  EXPECT_EQ(TaskCount(), 2u);
}

TEST_F(LaunchTokenTest, FailuresAreRepeatedToo) {
  RegisterNine();
  LaunchRequest req = Run(2, "nowhere");
  req.constraints = {Constraint("memberOf", "attribute:ecs.instance-type == p9.huge")};
  auto first = tasks_.RunTask(req);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->tasks.empty());
  ASSERT_EQ(first->failures.size(), 2u);
  // Capacity that fits appears; the repeat still answers as the first call did.
  v1::InstanceRegistration r;
  r.set_container_instance("i-huge");
  r.set_cluster("demo");
  auto* a = r.add_attributes();
  a->set_name("ecs.instance-type");
  a->set_value("p9.huge");
  r.mutable_registered_resources()->set_cpu(4096);
  r.mutable_registered_resources()->set_memory(8192);
  ASSERT_TRUE(instances_.Register({r}).ok());
  auto again = tasks_.RunTask(req);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->tasks.empty());
  ASSERT_EQ(again->failures.size(), 2u);
  EXPECT_EQ(again->failures[0].reason, first->failures[0].reason);
  req.client_token = "fresh";
  auto fresh = tasks_.RunTask(req);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->tasks.size(), 2u);
}

TEST_F(LaunchTokenTest, RepeatAfterARestartAnswersFromTheStore) {
  RegisterNine();
  auto first = tasks_.RunTask(Run(3, "durable"));
  ASSERT_TRUE(first.ok());
  auto restarted = Restart();
  auto again = restarted->tasks.RunTask(Run(3, "durable"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(IdsOf(*again), IdsOf(*first));
  WaitForCache(restarted->fleet);
  EXPECT_EQ(restarted->fleet.TasksIn("demo").size(), 3u);
}

TEST_F(LaunchTokenTest, CrashBeforeTheRecordAdoptsTheTasksAlreadyCreated) {
  RegisterNine();
  auto first = tasks_.RunTask(Run(3, "crashed"));
  ASSERT_TRUE(first.ok());
  // The crash came after two of the three task writes and before the record.
  DropRecords();
  const std::string lost = first->tasks[2]->metadata().name();
  ASSERT_TRUE(objects_.Delete(*schema::FindKind("Task"), lost).ok());
  auto restarted = Restart();
  WaitForCache(restarted->fleet);
  ASSERT_EQ(restarted->fleet.TasksIn("demo").size(), 2u);

  // Other parameters still conflict with the tasks the token launched.
  auto conflict = restarted->tasks.RunTask(Run(2, "crashed"));
  EXPECT_EQ(conflict.status().code(), api::Code::kAlreadyExists);

  auto again = restarted->tasks.RunTask(Run(3, "crashed"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->tasks.size(), 3u);
  const std::vector<std::string> again_ids = IdsOf(*again);
  std::set<std::string> ids(again_ids.begin(), again_ids.end());
  EXPECT_TRUE(ids.count(first->tasks[0]->metadata().name()));
  EXPECT_TRUE(ids.count(first->tasks[1]->metadata().name()));
  EXPECT_FALSE(ids.count(lost));
  WaitForCache(restarted->fleet);
  EXPECT_EQ(restarted->fleet.TasksIn("demo").size(), 3u) << "only the missing task was placed";
  // From now on the record answers.
  auto third = restarted->tasks.RunTask(Run(3, "crashed"));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(IdsOf(*third), IdsOf(*again));
}

TEST_F(LaunchTokenTest, StartTaskIsIdempotentToo) {
  RegisterNine();
  LaunchRequest req = Run(1, "start-once");
  req.container_instances = {"i-00", names_.InstanceArn("demo", "i-11"), "i-nope"};
  auto first = tasks_.StartTask(req);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->tasks.size(), 2u);
  ASSERT_EQ(first->failures.size(), 1u);
  auto again = tasks_.StartTask(req);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(IdsOf(*again), IdsOf(*first));
  ASSERT_EQ(again->failures.size(), 1u);
  EXPECT_EQ(again->failures[0].reason, "MISSING");
  EXPECT_EQ(TaskCount(), 2u);

  // After a crash that lost the record and the second task: only i-11 gets a task again.
  DropRecords();
  ASSERT_TRUE(objects_.Delete(*schema::FindKind("Task"), first->tasks[1]->metadata().name()).ok());
  auto restarted = Restart();
  auto resumed = restarted->tasks.StartTask(req);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  ASSERT_EQ(resumed->tasks.size(), 2u);
  EXPECT_EQ(resumed->tasks[0]->metadata().name(), first->tasks[0]->metadata().name());
  EXPECT_EQ(resumed->tasks[1]->spec().container_instance(), "i-11");

  req.client_token = std::string(65, 'x');
  auto refused = tasks_.StartTask(req);
  EXPECT_EQ(refused.status().code(), api::Code::kInvalidArgument);
  EXPECT_EQ(refused.status().field(), "clientToken");
}

TEST_F(LaunchTokenTest, TooLongTokenIsRefusedBeforeAnythingRuns) {
  RegisterNine();
  auto refused = tasks_.RunTask(Run(1, std::string(65, 'x')));
  EXPECT_EQ(refused.status().code(), api::Code::kInvalidArgument);
  EXPECT_EQ(refused.status().field(), "clientToken");
  EXPECT_EQ(TaskCount(), 0u);
}

TEST_F(LaunchTokenTest, CollectedTasksAreMissingInARepeat) {
  RegisterNine();
  auto first = tasks_.RunTask(Run(2, "gc"));
  ASSERT_TRUE(first.ok());
  const std::string gone = first->tasks[0]->metadata().name();
  ASSERT_TRUE(objects_.Delete(*schema::FindKind("Task"), gone).ok());
  WaitForCache(fleet_);
  auto again = tasks_.RunTask(Run(2, "gc"));
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->tasks.size(), 1u);
  EXPECT_EQ(again->tasks[0]->metadata().name(), first->tasks[1]->metadata().name());
  ASSERT_EQ(again->failures.size(), 1u);
  EXPECT_EQ(again->failures[0].arn, names_.TaskArn("demo", gone));
  EXPECT_EQ(again->failures[0].reason, "MISSING");
  EXPECT_EQ(TaskCount(), 1u);
}

TEST_F(LaunchTokenTest, RecordsExpireAfter24Hours) {
  RegisterNine();
  auto first = tasks_.RunTask(Run(1, "daily"));
  ASSERT_TRUE(first.ok());
  clock_.Advance(hours(24) - minutes(1));
  EXPECT_EQ(tasks_.CollectExpiredClientTokens(), 0u);
  auto still = tasks_.RunTask(Run(1, "daily"));
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(IdsOf(*still), IdsOf(*first));
  clock_.Advance(minutes(1));
  EXPECT_EQ(tasks_.CollectExpiredClientTokens(), 1u);
  auto listed = store_.List(kLaunchTokenPrefix);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->items.empty());
  // The token may be used again: a new launch, with a new record.
  auto later = tasks_.RunTask(Run(1, "daily"));
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->tasks.size(), 1u);
  EXPECT_NE(later->tasks[0]->metadata().name(), first->tasks[0]->metadata().name());
  EXPECT_EQ(TaskCount(), 2u);
  // A restart reads the record's age back: it expires on time there too.
  auto restarted = Restart();
  clock_.Advance(hours(24));
  EXPECT_EQ(restarted->tasks.CollectExpiredClientTokens(), 1u);
}

TEST_F(LaunchTokenTest, ExpiredRecordIsNotAnsweredBeforeItIsCollected) {
  RegisterNine();
  ASSERT_TRUE(tasks_.RunTask(Run(1, "late")).ok());
  clock_.Advance(hours(25));
  auto later = tasks_.RunTask(Run(2, "late"));  // other parameters: no conflict once expired
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(later->tasks.size(), 2u);
  EXPECT_EQ(TaskCount(), 3u);
}

TEST_F(LaunchTokenTest, UnreadableRecordCountsAsNoneAndIsCollected) {
  RegisterNine();
  auto first = tasks_.RunTask(Run(1, "mangled"));
  ASSERT_TRUE(first.ok());
  auto listed = store_.List(kLaunchTokenPrefix);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  ASSERT_TRUE(store_.Update(listed->items[0].key, "\xff\xfe not a record", 0).ok());
  auto restarted = Restart();
  // Without a readable record the annotated task is what a repeat finds.
  auto again = restarted->tasks.RunTask(Run(1, "mangled"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(IdsOf(*again), IdsOf(*first));
  // A record that cannot be read again at the next start is swept at once.
  ASSERT_TRUE(store_.Update(listed->items[0].key, "\xff\xfe not a record", 0).ok());
  auto third = Restart();
  EXPECT_EQ(third->tasks.CollectExpiredClientTokens(), 1u);
}

// A crash between writing a task and recounting its instance left the counts one behind; a
// task written without the recount (as the crash left it) is counted at the next start.
TEST_F(LaunchTokenTest, RecoverRecountsEveryInstanceFromItsTasks) {
  RegisterNine();
  ASSERT_TRUE(tasks_.RunTask(Run(1, "")).ok());
  v1::Task stale;
  stale.set_api_version("gantry.dev/v1");
  stale.set_kind("Task");
  stale.mutable_metadata()->set_name("written-before-the-crash");
  stale.mutable_spec()->set_task_definition("myapp:1");
  stale.mutable_spec()->set_cluster("demo");
  stale.mutable_spec()->set_container_instance("i-22");
  stale.mutable_spec()->set_desired_status("RUNNING");
  stale.mutable_spec()->set_cpu(256);
  stale.mutable_spec()->set_memory(512);
  stale.mutable_status()->set_last_status("PENDING");
  ASSERT_TRUE(objects_.Create(stale, {.keep_status = true}).ok());
  WaitForCache(fleet_);
  ASSERT_EQ(fleet_.Instance("i-22")->status().pending_tasks_count(), 0) << "not stale to begin";

  auto restarted = Restart();
  auto counted = restarted->fleet.Instance("i-22");
  EXPECT_EQ(counted->status().pending_tasks_count(), 1);
  EXPECT_EQ(counted->status().remaining_resources().memory(), 4096 - 512);
  EXPECT_EQ(counted->status().remaining_resources().cpu(), 2048 - 256);
  // Idempotent: counts that match are not written again.
  const std::string version = counted->metadata().resource_version();
  ASSERT_TRUE(restarted->tasks.Recover().ok());
  EXPECT_EQ(restarted->fleet.Instance("i-22")->metadata().resource_version(), version);
}

}  // namespace
}  // namespace gantry::fleet
