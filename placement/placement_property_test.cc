// Property tests on random clusters and requests: invariants that must hold for every decision,
// and the incremental selector checked task by task against a full rescan.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "placement/placement.h"
#include "placement/testing/builders.h"

namespace gantry::placement {
namespace {

using testing::MakeInstance;

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::vector<InstanceSpec> Cluster() {
    int n = Uniform(0, 40);
    std::vector<InstanceSpec> out;
    for (int i = 0; i < n; ++i) {
      auto b = MakeInstance("i-" + std::to_string(i))
                   .Cpu(Pick<int64_t>({0, 512, 1024, 2048, 4096}))
                   .Memory(Pick<int64_t>({0, 512, 1024, 2048, 8192}));
      if (Chance(0.85)) b.Zone(Pick<std::string>({"a", "b", "c"}));
      if (Chance(0.6)) b.Attr("rack", "r" + std::to_string(Uniform(0, 5)));
      if (Chance(0.6)) b.Attr("stack", Pick<std::string>({"prod", "dev"}));
      if (Chance(0.1)) b.Draining();
      if (Chance(0.05)) b.Inactive();
      if (Chance(0.1)) b.Disconnected();
      if (Chance(0.2)) b.Ports({Pick<int32_t>({22, 80, 443})});
      int tasks = Uniform(0, 3);
      for (int t = 0; t < tasks; ++t) {
        b.Task(Pick<std::string>({"family:web", "family:db", "service:api"}), Uniform(0, 2) * 128,
               Uniform(0, 2) * 256,
               Chance(0.2) ? std::vector<int32_t>{80} : std::vector<int32_t>{});
      }
      out.push_back(b);
    }
    return out;
  }

  TaskRequest Request() {
    TaskRequest r;
    r.count = Uniform(1, 60);
    r.group = Pick<std::string>({"family:web", "service:api"});
    r.cpu = Pick<int64_t>({0, 128, 256, 512});
    r.memory = Pick<int64_t>({0, 256, 512, 1024});
    if (Chance(0.2)) r.ports = {Pick<int32_t>({80, 8080})};
    if (Chance(0.3))
      r.constraints.push_back({"memberOf", Pick<std::string>({
                                               "attribute:stack == prod",
                                               "attribute:ecs.availability-zone in [a, b]",
                                               "attribute:rack != r1 and attribute:stack exists",
                                               "not(attribute:ecs.availability-zone == c)",
                                           })});
    if (Chance(0.15)) {
      r.constraints.push_back(
          {"memberOf", Pick<std::string>({"runningTasksCount < 3", "not(task:group == service:api)",
                                          "task:group != family:db"})});
    }
    if (Chance(0.2)) r.constraints.push_back({"distinctInstance", std::nullopt});
    int strategies = Uniform(0, 3);
    for (int k = 0; k < strategies; ++k) {
      r.strategies.push_back(Pick<StrategySpec>({
          {"spread", "attribute:ecs.availability-zone"},
          {"spread", "attribute:rack"},
          {"spread", "instanceId"},
          {"binpack", "memory"},
          {"binpack", "cpu"},
          {"random", std::nullopt},
      }));
    }
    r.seed = rng_();
    return r;
  }

  bool Chance(double p) { return std::uniform_real_distribution<>(0, 1)(rng_) < p; }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<>(lo, hi)(rng_); }
  template <typename T>
  T Pick(std::initializer_list<T> items) {
    auto it = items.begin();
    std::advance(it, Uniform(0, static_cast<int>(items.size()) - 1));
    return *it;
  }

 private:
  std::mt19937 rng_;
};

// Whether `in`, after `added` tasks of the request, can take one more, by a direct reading of
// the rules (static memberOf results come from Filter, dynamic ones are recomputed here).
struct Checker {
  const ClusterSnapshot& s;
  const std::vector<InstanceSpec>& specs;
  const TaskRequest& r;
  std::vector<std::vector<uint32_t>>
      member_of;  // per constraint: matching indices (no tasks added)

  bool Fits(uint32_t i, int added) const {
    const InstanceSpec& in = specs[i];
    if (in.status != InstanceStatus::kActive || !in.agent_connected) return false;
    int64_t cpu = in.cpu, memory = in.memory;
    std::set<int32_t> ports(in.ports.begin(), in.ports.end());
    int group_tasks = 0;
    for (const auto& t : in.tasks) {
      cpu -= t.cpu;
      memory -= t.memory;
      ports.insert(t.ports.begin(), t.ports.end());
      group_tasks += t.group == r.group;
    }
    cpu -= r.cpu * added;
    memory -= r.memory * added;
    if (cpu < r.cpu || memory < r.memory) return false;
    for (int32_t p : r.ports)
      if (ports.count(p) || added > 0) return false;
    bool distinct = false;
    for (const auto& c : r.constraints) distinct |= c.type == "distinctInstance";
    if (distinct && group_tasks + added > 0) return false;
    size_t k = 0;
    for (const auto& c : r.constraints) {
      if (c.type != "memberOf") continue;
      const std::string& e = *c.expression;
      bool ok;
      if (e == "runningTasksCount < 3") {
        ok = static_cast<int>(in.tasks.size()) + added < 3;
      } else if (e == "not(task:group == service:api)") {
        bool hosts = (added > 0 && r.group == "service:api");
        for (const auto& t : in.tasks) hosts |= t.group == "service:api";
        ok = !hosts;
      } else if (e == "task:group != family:db") {
        bool hosts = (added > 0 && r.group == "family:db");
        for (const auto& t : in.tasks) hosts |= t.group == "family:db";
        ok = !hosts;
      } else {
        ok = std::binary_search(member_of[k].begin(), member_of[k].end(), i);
      }
      ++k;
      if (!ok) return false;
    }
    return true;
  }
};

TEST(PlacementPropertyTest, InvariantsHoldOnRandomClusters) {
  int decisions = 0, with_failures = 0;
  for (uint32_t seed = 1; seed <= 1500; ++seed) {
    Generator gen(seed);
    auto specs = gen.Cluster();
    auto request = gen.Request();
    auto s = ClusterSnapshot::Build(specs);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    auto d = Place(*s, request);
    ASSERT_TRUE(d.ok()) << d.error().ToString();
    ++decisions;

    Checker check{*s, specs, request, {}};
    for (const auto& c : request.constraints) {
      if (c.type == "memberOf") check.member_of.push_back(*Filter(*s, *c.expression));
    }

    // Every task is either placed or failed, and failures come only once nothing fits.
    ASSERT_EQ(d->placements.size() + d->failures.size(), static_cast<size_t>(request.count));
    std::vector<int> added(specs.size());
    for (uint32_t i : d->placements) {
      // Never over-commit cpu, memory or ports; honour status, memberOf and distinctInstance.
      ASSERT_TRUE(check.Fits(i, added[i]))
          << "seed " << seed << " placed on " << s->id(i) << " after " << added[i];
      ++added[i];
    }
    if (!d->failures.empty()) {
      ++with_failures;
      for (uint32_t i = 0; i < specs.size(); ++i) {
        ASSERT_FALSE(check.Fits(i, added[i]))
            << "seed " << seed << ": " << s->id(i) << " could still take a task";
      }
      for (Stage st : d->failures) ASSERT_EQ(st, d->failures.front());
      ASSERT_TRUE(d->at_exhaustion.has_value());
      ASSERT_EQ(d->at_exhaustion->ExhaustedBy(), d->failures.front());
    }

    // Same seed, same decision; the incremental selector agrees with a full rescan per task.
    auto again = Place(*s, request);
    ASSERT_EQ(again->placements, d->placements) << "seed " << seed;
    auto rescan = Place(*s, request, {.rescan_per_task = true});
    ASSERT_EQ(rescan->placements, d->placements) << "seed " << seed;
    ASSERT_EQ(rescan->failures, d->failures) << "seed " << seed;
  }
  EXPECT_EQ(decisions, 1500);
  EXPECT_GT(with_failures, 100);  // the generator exercises exhaustion too
}

TEST(PlacementPropertyTest, SpreadStaysWithinOneWhenCapacityAllows) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    Generator gen(seed);
    int zones = gen.Uniform(2, 5);
    int per_zone = gen.Uniform(1, 4);
    std::vector<InstanceSpec> specs;
    for (int z = 0; z < zones; ++z) {
      for (int k = 0; k < per_zone; ++k) {
        // Uneven sizes, but every instance has room for the whole request.
        specs.push_back(MakeInstance("z" + std::to_string(z) + "-" + std::to_string(k))
                            .Zone("zone-" + std::to_string(z))
                            .Memory(100000 + 1000 * gen.Uniform(0, 9)));
      }
    }
    auto s = ClusterSnapshot::Build(specs);
    ASSERT_TRUE(s.ok());
    TaskRequest r = testing::MakeRequest()
                        .Count(gen.Uniform(1, 50))
                        .Memory(100)
                        .Spread("attribute:ecs.availability-zone")
                        .Spread("instanceId")
                        .Binpack("memory")
                        .Seed(seed);
    auto d = Place(*s, r);
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE(d->failures.empty());
    std::map<std::string, int> per_zone_count, per_instance_count;
    for (uint32_t i : d->placements) {
      ++per_zone_count[specs[i].attributes[0].second];
      ++per_instance_count[specs[i].id];
    }
    int lo = INT32_MAX, hi = 0;
    for (int z = 0; z < zones; ++z) {
      int n = per_zone_count["zone-" + std::to_string(z)];
      lo = std::min(lo, n);
      hi = std::max(hi, n);
    }
    ASSERT_LE(hi - lo, 1) << "seed " << seed;
    // Inside each zone, spread(instanceId) keeps instances within one of each other too.
    for (int z = 0; z < zones; ++z) {
      int zlo = INT32_MAX, zhi = 0;
      for (int k = 0; k < per_zone; ++k) {
        int n = per_instance_count["z" + std::to_string(z) + "-" + std::to_string(k)];
        zlo = std::min(zlo, n);
        zhi = std::max(zhi, n);
      }
      ASSERT_LE(zhi - zlo, 1) << "seed " << seed << " zone " << z;
    }
  }
}

}  // namespace
}  // namespace gantry::placement

namespace gantry::placement {
namespace {

// What a snapshot shows of its tasks, by name rather than interned id (a rebuilt snapshot
// numbers groups in its own order).
struct TaskState {
  std::vector<int32_t> cpu, memory, running;
  std::map<int32_t, std::set<uint32_t>> port_users;
  std::map<std::string, std::map<uint32_t, uint32_t>> groups;  // non-empty groups only
  bool operator==(const TaskState&) const = default;
};

TaskState StateOf(const ClusterSnapshot& s, const std::set<int32_t>& ports) {
  TaskState out{s.cpu_remaining(), s.memory_remaining(), s.running_tasks_count(), {}, {}};
  for (int32_t p : ports) {
    if (const MemberSet* users = s.port_users(p)) {
      users->ForEach([&](uint32_t i) { out.port_users[p].insert(i); });
      EXPECT_EQ(users->count(), out.port_users[p].size());
    }
  }
  for (uint32_t g = 0; g < s.group_count(); ++g) {
    for (const GroupCount& gc : s.group_members(g)) out.groups[s.group_name(g)][gc.key] = gc.count;
  }
  return out;
}

// Tasks starting and stopping change a kept snapshot exactly as rebuilding it from the changed
// instances would: the same remaining resources, ports, group counts and decisions.
TEST(PlacementPropertyTest, AddedAndRemovedTasksEqualARebuild) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Generator gen(seed);
    std::vector<InstanceSpec> specs = gen.Cluster();
    if (specs.empty()) continue;
    auto kept = ClusterSnapshot::Build(specs);
    ASSERT_TRUE(kept.ok());
    std::mt19937 rng(seed);
    const std::set<int32_t> ports = {22, 80, 443, 8080};
    for (int step = 0; step < 40; ++step) {
      const uint32_t i = rng() % specs.size();
      auto& tasks = specs[i].tasks;
      if (!tasks.empty() && rng() % 2 == 0) {
        const size_t k = rng() % tasks.size();
        ASSERT_TRUE(kept->RemoveTask(i, tasks[k]).ok());
        tasks.erase(tasks.begin() + static_cast<std::ptrdiff_t>(k));
      } else {
        TaskSpec t{
            gen.Pick<std::string>({"family:web", "service:api", "new:" + std::to_string(step % 3)}),
            gen.Uniform(0, 2) * 128, gen.Uniform(0, 2) * 256,
            gen.Chance(0.3) ? std::vector<int32_t>{gen.Pick<int32_t>({22, 80, 8080})}
                            : std::vector<int32_t>{}};
        ASSERT_TRUE(kept->AddTask(i, t).ok());
        tasks.push_back(t);
      }
      auto rebuilt = ClusterSnapshot::Build(specs);
      ASSERT_TRUE(rebuilt.ok());
      ASSERT_EQ(StateOf(*kept, ports), StateOf(*rebuilt, ports)) << "after step " << step;
      TaskRequest request = gen.Request();
      auto a = Place(*kept, request);
      auto b = Place(*rebuilt, request);
      ASSERT_EQ(a.ok(), b.ok());
      if (a.ok()) {
        ASSERT_EQ(a->placements, b->placements) << "after step " << step;
        ASSERT_EQ(a->failures, b->failures);
      }
    }
  }
}

TEST(PlacementPropertyTest, TaskChangesRejectBadInput) {
  auto s = ClusterSnapshot::Build({MakeInstance("a").Cpu(1024).Memory(1024)});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->AddTask(1, TaskSpec{"g", 1, 1, {}}).error().field, "instance");
  EXPECT_EQ(s->AddTask(0, TaskSpec{"", 1, 1, {}}).error().field, "task.group");
  EXPECT_EQ(s->AddTask(0, TaskSpec{"g", -1, 1, {}}).error().field, "task.cpu");
  EXPECT_EQ(s->AddTask(0, TaskSpec{"g", 1, 1, {70000}}).error().field, "task.ports[0]");
  EXPECT_EQ(s->RemoveTask(0, TaskSpec{"g", 1, 1, {}}).error().field, "task.group");
  EXPECT_EQ(s->cpu_remaining()[0], 1024);  // nothing changed
  EXPECT_EQ(s->running_tasks_count()[0], 0);
}

}  // namespace
}  // namespace gantry::placement
