// Store benchmarks (make bench): durable object writes with concurrent writers, the SQLite
// backend at synchronous=FULL (an acknowledged write survives power loss), 1 KiB values.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.h"

namespace gantry::store {
namespace {

namespace fs = std::filesystem;

std::string FreshPath() {
  static int n = 0;
  fs::path dir = fs::temp_directory_path() / ("gantry-store-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string path = (dir / ("db-" + std::to_string(n++))).string();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  return path;
}

// `writers` threads each create `per_writer` distinct keys; reports writes/s and per-write
// latency percentiles.
void BM_DurableWrites(benchmark::State& state) {
  const int writers = static_cast<int>(state.range(0));
  const int per_writer = static_cast<int>(state.range(1));
  const std::string value(1024, 'x');
  std::vector<double> latencies_us;
  uint64_t transactions = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string path = FreshPath();
    auto opened = SqliteStore::Open(path);
    if (!opened.ok()) {
      state.SkipWithError(opened.error().message.c_str());
      return;
    }
    auto store = std::move(opened).value();
    std::mutex mu;
    std::vector<double> local;
    state.ResumeTiming();

    std::vector<std::thread> threads;
    for (int t = 0; t < writers; ++t) {
      threads.emplace_back([&, t] {
        std::vector<double> mine;
        mine.reserve(per_writer);
        for (int i = 0; i < per_writer; ++i) {
          auto start = std::chrono::steady_clock::now();
          auto r = store->Create("/registry/objects/" + std::to_string(t) + "/" + std::to_string(i),
                                 value);
          auto end = std::chrono::steady_clock::now();
          if (!r.ok()) std::abort();
          mine.push_back(std::chrono::duration<double, std::micro>(end - start).count());
        }
        std::lock_guard lock(mu);
        local.insert(local.end(), mine.begin(), mine.end());
      });
    }
    for (auto& t : threads) t.join();

    state.PauseTiming();
    transactions = store->transactions();
    latencies_us.insert(latencies_us.end(), local.begin(), local.end());
    store.reset();
    fs::remove_all(fs::path(path).parent_path());
    state.ResumeTiming();
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  const double total = static_cast<double>(writers) * per_writer;
  state.counters["writes_per_s"] =
      benchmark::Counter(total, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["p50_us"] = latencies_us[latencies_us.size() / 2];
  state.counters["p99_us"] = latencies_us[latencies_us.size() * 99 / 100];
  state.counters["writes_per_txn"] =
      total / static_cast<double>(std::max<uint64_t>(transactions, 1));
}
BENCHMARK(BM_DurableWrites)
    ->Args({1, 2000})
    ->Args({8, 4000})
    ->Args({32, 2000})
    ->Args({64, 1000})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

}  // namespace
}  // namespace gantry::store

BENCHMARK_MAIN();
