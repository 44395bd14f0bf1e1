#!/usr/bin/env bash
# make run: start gantryd on this machine (SQLite under ./gantry-data), apply examples/manifests,
# show what is stored, and keep serving until Ctrl-C, which stops gantryd cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/bin}
LISTEN=${GANTRY_LISTEN:-127.0.0.1:7700}
GRPC_LISTEN=${GANTRY_GRPC_LISTEN:-127.0.0.1:7701}
export GANTRY_SERVER="http://$LISTEN"

"$BIN/gantryd" --data-dir ./gantry-data --listen "$LISTEN" --grpc-listen "$GRPC_LISTEN" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
for _ in $(seq 100); do
  if "$BIN/gantryctl" get services >/dev/null 2>&1; then break; fi
  if ! kill -0 $pid 2>/dev/null; then echo "make run: gantryd exited" >&2; exit 1; fi
  sleep 0.1
done

echo "== gantryctl apply -f examples/manifests/"
"$BIN/gantryctl" apply -f examples/manifests/
echo "== gantryctl get taskdefinitions,services"
"$BIN/gantryctl" get taskdefinitions
"$BIN/gantryctl" get services
echo "== placement, offline: gantryctl simulate -f examples/simulate/cluster.yaml"
"$BIN/gantryctl" simulate -f examples/simulate/cluster.yaml
echo
echo "gantryd is serving on http://$LISTEN (data in ./gantry-data). Try: $BIN/gantryctl get svc web -o yaml"
echo "Press Ctrl-C to stop it."
wait $pid
