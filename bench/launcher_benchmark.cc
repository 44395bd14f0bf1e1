// The launcher alone, durably: requests of 1 and of 100 tasks from 16 (and 64) callers, placed
// with spread(zone) then binpack(memory) on 5,000 instances and committed to SQLite at
// synchronous=FULL. Issue 9's target: 20,000 tasks/s.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>
#include <vector>

#include "api/service/launcher.h"
#include "store/sqlite/sqlite_store.h"

namespace gantry::api {
namespace {

namespace fs = std::filesystem;

v1::ContainerInstance Instance(int i) {
  v1::ContainerInstance ci;
  ci.set_api_version("gantry.dev/v1");
  ci.set_kind("ContainerInstance");
  ci.mutable_metadata()->set_name("i-" + std::to_string(i));
  ci.mutable_spec()->set_cluster("default");
  auto* zone = ci.mutable_spec()->add_attributes();
  zone->set_name("ecs.availability-zone");
  zone->set_value(std::string("us-east-1") + static_cast<char>('a' + i % 3));
  ci.mutable_spec()->mutable_registered_resources()->set_cpu(1 << 20);
  ci.mutable_spec()->mutable_registered_resources()->set_memory(1 << 20);
  ci.mutable_status()->set_status("ACTIVE");
  ci.mutable_status()->set_agent_connected(true);
  return ci;
}

// Args: tasks per request, callers, requests per caller.
void BM_LaunchDurably(benchmark::State& state) {
  const int per_request = static_cast<int>(state.range(0));
  const int callers = static_cast<int>(state.range(1));
  const int requests = static_cast<int>(state.range(2));
  uint64_t builds = 0;
  std::vector<double> latencies_ms;
  for (auto _ : state) {
    state.PauseTiming();
    std::string dir = (fs::temp_directory_path() / "gantry-launcher-XXXXXX").string();
    if (::mkdtemp(dir.data()) == nullptr) std::abort();
    auto store = store::SqliteStore::Open(dir + "/gantry.db");
    if (!store.ok()) std::abort();
    FakeClock clock;
    ObjectService objects(**store, clock);
    Launcher launcher(objects);
    for (int i = 0; i < 5000; ++i) launcher.ObserveInstance(Instance(i));
    state.ResumeTiming();

    std::vector<std::thread> threads;
    std::mutex mu;
    for (int c = 0; c < callers; ++c) {
      threads.emplace_back([&, c] {
        std::vector<double> mine;
        for (int k = 0; k < requests; ++k) {
          LaunchSpec spec;
          spec.cluster = "default";
          spec.request.count = per_request;
          spec.request.group = "family:web";
          spec.request.cpu = 16;
          spec.request.memory = 32;
          spec.request.strategies = {{"spread", "attribute:ecs.availability-zone"},
                                     {"binpack", "memory"}};
          spec.request.seed = static_cast<uint64_t>(c * 1000003 + k);
          spec.task.mutable_spec()->set_task_definition("web:1");
          spec.task.mutable_status()->set_last_status("PENDING");
          auto start = std::chrono::steady_clock::now();
          auto outcome = launcher.Launch(spec);
          if (!outcome.ok() || static_cast<int>(outcome->tasks.size()) != per_request) std::abort();
          mine.push_back(
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                  .count());
        }
        std::lock_guard lock(mu);
        latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
      });
    }
    for (auto& t : threads) t.join();

    state.PauseTiming();
    builds = launcher.stats().snapshot_builds;
    store->reset();
    fs::remove_all(dir);
    state.ResumeTiming();
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const double tasks = static_cast<double>(per_request) * callers * requests;
  state.counters["tasks_per_s"] =
      benchmark::Counter(tasks, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["requests_per_s"] = benchmark::Counter(
      static_cast<double>(callers) * requests, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["p50_ms"] = latencies_ms[latencies_ms.size() / 2];
  state.counters["p99_ms"] = latencies_ms[latencies_ms.size() * 99 / 100];
  state.counters["snapshot_builds"] = static_cast<double>(builds);
}
BENCHMARK(BM_LaunchDurably)
    ->Args({1, 16, 1000})
    ->Args({1, 64, 250})
    ->Args({100, 16, 20})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

}  // namespace
}  // namespace gantry::api

BENCHMARK_MAIN();
