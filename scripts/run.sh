#!/usr/bin/env bash
# make run: start gantryd on this machine (SQLite under ./gantry-data) and three local agents
# (zones us-east-1a/b/c, instance types t2.small, t2.medium, g2.2xlarge, custom attribute
# stack=prod), apply examples/manifests (a replica Service with spread + binpack and a daemon
# Environment on every instance), wait until they are Ready, show what runs where, and keep
# serving until Ctrl-C. Ctrl-C stops everything this started, tasks included (the agents stop
# their tasks before they exit); running it again resumes on the same data.
#
# GANTRY_DATA (default ./gantry-data), GANTRY_LISTEN and GANTRY_GRPC_LISTEN override the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/bin}
DATA=${GANTRY_DATA:-./gantry-data}
LISTEN=${GANTRY_LISTEN:-127.0.0.1:7700}
GRPC_LISTEN=${GANTRY_GRPC_LISTEN:-127.0.0.1:7701}
export GANTRY_SERVER="http://$LISTEN"
mkdir -p "$DATA"

"$BIN/gantryd" --data-dir "$DATA" --listen "$LISTEN" --grpc-listen "$GRPC_LISTEN" \
  2>"$DATA/gantryd.log" &
pids=($!)
stopping=0
stop() {
  [ "$stopping" = 1 ] && return
  stopping=1
  echo
  echo "make run: stopping the agents (each stops its tasks first), then gantryd"
  # Agents first, while gantryd still hears their last reports; then gantryd.
  for ((i = ${#pids[@]} - 1; i >= 1; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for ((i = ${#pids[@]} - 1; i >= 1; i--)); do wait "${pids[$i]}" 2>/dev/null || true; done
  kill -TERM "${pids[0]}" 2>/dev/null || true
  wait "${pids[0]}" 2>/dev/null || true
  echo "make run: stopped; data kept in $DATA"
}
trap stop INT TERM
trap 'stop; exit 1' ERR
for _ in $(seq 100); do
  if "$BIN/gantryctl" get services >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[0]}" 2>/dev/null; then
    echo "make run: gantryd exited; see $DATA/gantryd.log" >&2
    exit 1
  fi
  sleep 0.1
done

zones=(us-east-1a us-east-1b us-east-1c)
types=(t2.small t2.medium g2.2xlarge)
for i in 0 1 2; do
  "$BIN/gantry-agent" --server "$GRPC_LISTEN" --cluster default \
    --state-dir "$DATA/agents/agent$i" --stop-tasks-on-exit \
    --attribute "ecs.availability-zone=${zones[$i]}" --attribute "ecs.instance-type=${types[$i]}" \
    --attribute stack=prod \
    --cpu 2048 --memory 4096 2>"$DATA/agent$i.log" &
  pids+=($!)
done
for _ in $(seq 100); do
  n=$("$BIN/gantryctl" get containerinstances -o name 2>/dev/null | wc -l || true)
  [ "$n" -ge 3 ] && break
  sleep 0.1
done

echo "== gantryctl apply -f examples/manifests/"
"$BIN/gantryctl" apply -f examples/manifests/
echo "== gantryctl wait svc web / env logs --for=condition=Ready"
"$BIN/gantryctl" wait svc web --for=condition=Ready --timeout=60s
"$BIN/gantryctl" wait env logs --for=condition=Ready --timeout=60s
# Ready may be a status from the last run: count the RUNNING tasks themselves.
for _ in $(seq 600); do
  "$BIN/gantryctl" get services -o json >"$DATA/.services.json"
  "$BIN/gantryctl" get environments -o json >"$DATA/.environments.json"
  "$BIN/gantryctl" get tasks -o json >"$DATA/.tasks.json"
  python3 scripts/where-tasks-run.py --settled "$DATA/.services.json" \
    "$DATA/.environments.json" "$DATA/.tasks.json" && break
  sleep 0.1
done
echo "== what runs where"
"$BIN/gantryctl" get containerinstances -o json >"$DATA/.instances.json"
python3 scripts/where-tasks-run.py "$DATA/.instances.json" "$DATA/.tasks.json"
rm -f "$DATA"/.*.json
echo
cat <<MSG
gantryd serves REST, the ECS endpoint and Blox's API on http://$LISTEN and gRPC on $GRPC_LISTEN
(data in $DATA), with three agents in cluster "default": service web keeps two tasks (spread
over the zones, then bin-packed), environment logs one task on every instance. Try:
  $BIN/gantryctl get svc -o wide; $BIN/gantryctl describe env logs
  $BIN/gantryctl scale service web --replicas 4 && $BIN/gantryctl rollout status service web
  $BIN/gantryctl list-container-instances --filter "attribute:ecs.instance-type matches t2.*"
  $BIN/gantryctl run-task --task-definition web --count 1 \\
      --placement-strategy type="spread",field="attribute:ecs.availability-zone"
  aws ecs list-container-instances --endpoint-url http://$LISTEN --region us-east-1 \\
      --filter "attribute:ecs.instance-type matches t2.*"
  curl http://$LISTEN/v1/environments          # Blox's daemon scheduler API
  $BIN/gantryctl events -w
Press Ctrl-C to stop (tasks included).
MSG
wait "${pids[0]}" || true
stop
