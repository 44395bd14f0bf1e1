#!/usr/bin/env bash
# make bench: the placement micro-benchmarks (Google Benchmark) and `gantryctl simulate` end to
# end on generated clusters. Results are printed and saved under BUILD_DIR/bench-results/; the
# figures in docs/benchmarks.md come from this script.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
OUT="$BUILD_DIR/bench-results"
mkdir -p "$OUT"

echo "== placement engine (bench/placement_benchmark.cc)"
"$BUILD_DIR/bench/placement_benchmark" --benchmark_out="$OUT/placement.json" \
  --benchmark_out_format=json --benchmark_counters_tabular=true

echo
echo "== store, SQLite backend at synchronous=FULL (bench/store_benchmark.cc)"
"$BUILD_DIR/bench/store_benchmark" --benchmark_out="$OUT/store.json" \
  --benchmark_out_format=json --benchmark_counters_tabular=true

echo
echo "== gantryctl simulate end to end (wall time over 7 runs)"
for n in 10000 100000; do
  python3 scripts/gen-cluster.py "$n" > "$OUT/cluster-$n.yaml"
  python3 scripts/gen-cluster.py "$n" --json > "$OUT/cluster-$n.json"
done
python3 - "$BUILD_DIR/bin/gantryctl" "$OUT" <<'PY' | tee "$OUT/simulate.txt"
import statistics, subprocess, sys, time
gantryctl, out = sys.argv[1], sys.argv[2]
for n in (10000, 100000):
    for ext in ("yaml", "json"):
        path = f"{out}/cluster-{n}.{ext}"
        times = []
        for _ in range(7):
            t = time.perf_counter()
            subprocess.run([gantryctl, "simulate", "-f", path], check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - t)
        print(f"simulate {n:>6} instances ({ext}): median {statistics.median(times):.3f} s, "
              f"max {max(times):.3f} s")
PY
