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
echo "== the launcher: place and commit durably, 16 callers, 5,000 instances (bench/launcher_benchmark.cc)"
"$BUILD_DIR/bench/launcher_benchmark" --benchmark_out="$OUT/launcher.json" \
  --benchmark_out_format=json --benchmark_counters_tabular=true

echo
echo "== API: gantryd REST apply vs etcd 3.4 v3 JSON gateway, same 1 KiB values, same client"
command -v etcd >/dev/null || { echo "bench: installing etcd-server for the comparison"; \
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null; }
WORK=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
GP=$(free_port); GG=$(free_port); EP=$(free_port); EPP=$(free_port)
"$BUILD_DIR/bin/gantryd" --data-dir "$WORK/gantry" --listen 127.0.0.1:$GP --grpc-listen 127.0.0.1:$GG 2>"$WORK/gantryd.log" &
GPID=$!
etcd --data-dir "$WORK/etcd" --listen-client-urls http://127.0.0.1:$EP --advertise-client-urls http://127.0.0.1:$EP \
  --listen-peer-urls http://127.0.0.1:$EPP --initial-advertise-peer-urls http://127.0.0.1:$EPP \
  --initial-cluster default=http://127.0.0.1:$EPP >"$WORK/etcd.log" 2>&1 &
EPID=$!
trap 'kill $GPID $EPID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
sleep 2
for target in gantry etcd; do
  port=$([ $target = gantry ] && echo $GP || echo $EP)
  "$BUILD_DIR/bench/api_load" write $target 127.0.0.1:$port 32 3 >/dev/null   # create the keys
  "$BUILD_DIR/bench/api_load" write $target 127.0.0.1:$port 32 10 | tee -a "$OUT/api.txt"
done
# The service controller writes the status of every Service the writes above created; the
# watch figure is commit -> delivery on a quiet server, so it starts once the revision holds
# still for two seconds (at most two minutes).
last=-1
for _ in $(seq 240); do
  rev=$(curl -s http://127.0.0.1:$GP/metrics | awk '/^gantry_store_revision /{print $2}')
  [ "$rev" = "$last" ] && { sleep 1.5; rev2=$(curl -s http://127.0.0.1:$GP/metrics | awk '/^gantry_store_revision /{print $2}'); [ "$rev2" = "$rev" ] && break; }
  last=$rev
  sleep 0.5
done
"$BUILD_DIR/bench/api_load" watch 127.0.0.1:$GP 100 200 | tee -a "$OUT/api.txt"
"$BUILD_DIR/bench/api_load" fill 127.0.0.1:$GP 100000 32 | tee -a "$OUT/api.txt"
curl -s http://127.0.0.1:$GP/metrics | grep -E '^(process_resident_memory_bytes|gantry_store_db_size_bytes) ' | tee -a "$OUT/api.txt"
# Stopped now, not at exit: its service controller works through the 100,000 Services just
# filled and would share the cores with the sections below.
kill $GPID $EPID 2>/dev/null || true
wait $GPID $EPID 2>/dev/null || true

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

echo
echo "== fleet: RunTask -> RUNNING on a real agent, 5,000 simulated instances, RunTask throughput"
python3 bench/fleet_bench.py "$BUILD_DIR/bin" --tasks 200 --seconds 20 | tee "$OUT/fleet.txt"

echo
echo "== services: 0 -> 1,000 tasks, a rolling deployment of 1,000, 50 services changing at once"
python3 bench/service_bench.py "$BUILD_DIR/bin" | tee "$OUT/services.txt"

echo
echo "== environments: coverage of 1,000 and 5,000 instances, a roll, new instances"
python3 bench/environment_bench.py "$BUILD_DIR/bin" | tee "$OUT/environments.txt"
