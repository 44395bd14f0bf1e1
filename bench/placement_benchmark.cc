// Placement benchmarks (make bench). The cluster mirrors the workload: 3 availability
// zones, 6 instance types, custom attributes (stack, rack, team), a few existing tasks; the
// request is a two-term memberOf + spread(AZ) + binpack(memory).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "placement/placement.h"

namespace gantry::placement {
namespace {

std::vector<InstanceSpec> MakeCluster(int n) {
  static const char* kZones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
  static const char* kTypes[] = {"t2.small",  "t2.medium", "m5.large",
                                 "m5.xlarge", "c5.large",  "r5.large"};
  static const int64_t kMemory[] = {2048, 4096, 8192, 16384, 4096, 16384};
  static const int64_t kCpu[] = {1024, 2048, 2048, 4096, 2048, 2048};
  std::vector<InstanceSpec> out(n);
  for (int i = 0; i < n; ++i) {
    InstanceSpec& in = out[i];
    in.id = "i-" + std::to_string(100000000 + i);
    int type = (i / 3) % 6;
    in.cpu = kCpu[type];
    in.memory = kMemory[type];
    in.agent_version = i % 10 == 0 ? "1.14.4" : "1.15.0";
    in.registered_at_ms = 1515542400000 + int64_t{i} * 1000;
    in.attributes = {{"ecs.availability-zone", kZones[i % 3]},
                     {"ecs.instance-type", kTypes[type]},
                     {"ecs.os-type", "linux"},
                     {"stack", i % 5 == 0 ? "dev" : "prod"},
                     {"rack", "rack-" + std::to_string(i % 64)},
                     {"team", "team-" + std::to_string(i % 17)}};
    if (i % 4 == 0) in.tasks.push_back({"family:web", 256, 512, {80}});
    if (i % 7 == 0) in.tasks.push_back({"service:api", 128, 256, {}});
  }
  return out;
}

TaskRequest MakeRequest(int64_t count, uint64_t seed) {
  TaskRequest r;
  r.count = count;
  r.group = "service:web";
  r.cpu = 64;
  r.memory = 256;
  r.constraints = {{"memberOf",
                    "attribute:ecs.instance-type in [t2.medium, m5.large, m5.xlarge, r5.large] and "
                    "attribute:stack == prod"}};
  r.strategies = {{"spread", "attribute:ecs.availability-zone"}, {"binpack", "memory"}};
  r.seed = seed;
  return r;
}

const ClusterSnapshot& Snapshot(int n) {
  static std::map<int, std::unique_ptr<ClusterSnapshot>> cache;
  auto& slot = cache[n];
  if (!slot)
    slot = std::make_unique<ClusterSnapshot>(
        std::move(ClusterSnapshot::Build(MakeCluster(n))).value());
  return *slot;
}

// Many tasks in one request: placements per second, single-threaded.
void BM_PlaceManyTasks(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int64_t tasks = state.range(1);
  const ClusterSnapshot& s = Snapshot(n);
  auto compiled = CompileRequest(MakeRequest(tasks, 42));
  size_t placed = 0, failed = 0;
  for (auto _ : state) {
    Decision d = Place(s, *compiled);
    placed = d.placements.size();
    failed = d.failures.size();
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * tasks);
  state.counters["placed"] = static_cast<double>(placed);
  state.counters["failed"] = static_cast<double>(failed);
  state.counters["placements_per_s"] =
      benchmark::Counter(static_cast<double>(tasks), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PlaceManyTasks)
    ->Args({10000, 100000})
    ->Args({100000, 100000})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

// One task at a time: the latency a controller sees per decision. Percentiles over many seeds.
void BM_PlaceOneTask(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const ClusterSnapshot& s = Snapshot(n);
  std::vector<CompiledRequest> requests;
  for (uint64_t seed = 0; seed < 64; ++seed)
    requests.push_back(*CompileRequest(MakeRequest(1, seed)));
  std::vector<double> micros;
  size_t k = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    Decision d = Place(s, requests[k++ % requests.size()]);
    auto end = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(d);
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[micros.size() * 99 / 100];
}
BENCHMARK(BM_PlaceOneTask)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

// Building the snapshot from value types, and what it holds per instance.
void BM_BuildSnapshot(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto cluster = MakeCluster(n);
  size_t bytes = 0;
  for (auto _ : state) {
    auto s = ClusterSnapshot::Build(cluster);
    bytes = s->MemoryBytes();
    benchmark::DoNotOptimize(s);
  }
  state.counters["bytes_per_instance"] = static_cast<double>(bytes) / n;
  state.counters["instances_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_BuildSnapshot)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

// Filter (list-container-instances) over the whole cluster.
void BM_Filter(benchmark::State& state) {
  const ClusterSnapshot& s = Snapshot(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto r = Filter(
        s, "attribute:ecs.instance-type =~ m5.* and attribute:ecs.availability-zone != us-east-1a");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Filter)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gantry::placement

BENCHMARK_MAIN();
