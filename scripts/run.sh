#!/usr/bin/env bash
# make run: start gantryd on this machine (SQLite under ./gantry-data) and three local agents
# (zones us-east-1a/b/c, instance types t2.small, t2.medium, g2.2xlarge, state under
# ./gantry-data/agents), apply examples/manifests, show the fleet, and keep serving until Ctrl-C,
# which stops the agents and gantryd cleanly (tasks keep running and are re-adopted next time).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/bin}
LISTEN=${GANTRY_LISTEN:-127.0.0.1:7700}
GRPC_LISTEN=${GANTRY_GRPC_LISTEN:-127.0.0.1:7701}
export GANTRY_SERVER="http://$LISTEN"

"$BIN/gantryd" --data-dir ./gantry-data --listen "$LISTEN" --grpc-listen "$GRPC_LISTEN" &
pids=($!)
stop() {
  # Agents first, so gantryd sees them leave; then gantryd.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  wait
}
trap stop INT TERM
for _ in $(seq 100); do
  if "$BIN/gantryctl" get services >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[0]}" 2>/dev/null; then echo "make run: gantryd exited" >&2; exit 1; fi
  sleep 0.1
done

zones=(us-east-1a us-east-1b us-east-1c)
types=(t2.small t2.medium g2.2xlarge)
for i in 0 1 2; do
  "$BIN/gantry-agent" --server "$GRPC_LISTEN" --cluster default \
    --state-dir "./gantry-data/agents/agent$i" \
    --attribute "ecs.availability-zone=${zones[$i]}" --attribute "ecs.instance-type=${types[$i]}" \
    --attribute stack=prod \
    --cpu 2048 --memory 4096 2>"./gantry-data/agent$i.log" &
  pids+=($!)
done
for _ in $(seq 100); do
  n=$("$BIN/gantryctl" get containerinstances -o name 2>/dev/null | wc -l || true)
  [ "$n" -ge 3 ] && break
  sleep 0.1
done

echo "== gantryctl apply -f examples/manifests/"
"$BIN/gantryctl" apply -f examples/manifests/
echo "== gantryctl list-container-instances -o wide"
"$BIN/gantryctl" list-container-instances -o wide || "$BIN/gantryctl" get containerinstances
echo "== placement, offline: gantryctl simulate -f examples/simulate/cluster.yaml"
"$BIN/gantryctl" simulate -f examples/simulate/cluster.yaml
echo
cat <<MSG
gantryd is serving REST and the ECS endpoint on http://$LISTEN, gRPC on $GRPC_LISTEN (data in
./gantry-data), with three agents in cluster "default"; service web keeps two tasks running on
two of them (host port 8080 each). Try:
  $BIN/gantryctl get svc web -o yaml
  $BIN/gantryctl run-task --task-definition web --count 1 \\
      --placement-strategy type="spread",field="attribute:ecs.availability-zone"
  aws ecs list-container-instances --endpoint-url http://$LISTEN --region us-east-1 \\
      --filter "attribute:ecs.instance-type matches t2.*"
  $BIN/gantryctl events -w
Press Ctrl-C to stop.
MSG
wait "${pids[0]}"
