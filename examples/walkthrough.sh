#!/usr/bin/env bash
# The talk "Advanced Task Scheduling with Amazon ECS and Blox", replayed step by step against the
# cluster `make run` starts (three agents: us-east-1a t2.small, us-east-1b t2.medium, us-east-1c
# g2.2xlarge, all stack=prod): every scheduling command of the talk, once with gantryctl and once
# with the AWS CLI — the instance filters, run-task with memberOf and with spread then binpack,
# the distinct-instance GPU service, a daemon environment and a deployment through Blox's API (a
# DAEMON service with the AWS CLI), then a new agent joining and receiving its daemon tasks.
#
# Each step prints a line of commentary and the command, then checks the outcome; an unexpected
# one stops the walkthrough with exit code 1. It cleans up what it made, the extra agents included.
#
#   make run                     # in one terminal
#   examples/walkthrough.sh      # in another; WALKTHROUGH_PAUSE=2 waits 2 s between steps
#
# GANTRY_SERVER (http://127.0.0.1:7700), GANTRY_GRPC_LISTEN (127.0.0.1:7701) and GANTRY_DATA
# (./gantry-data) must match make run's; BIN (build/bin) holds the binaries. The AWS CLI part
# runs when `aws` is installed (Debian: awscli).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/bin}
export GANTRY_SERVER=${GANTRY_SERVER:-http://127.0.0.1:7700}
GRPC=${GANTRY_GRPC_LISTEN:-127.0.0.1:7701}
DATA=${GANTRY_DATA:-./gantry-data}
PAUSE=${WALKTHROUGH_PAUSE:-0}
G="$BIN/gantryctl"
CLUSTER=default
# gantryd as make run starts it needs no signature on loopback; the CLI still wants a key.
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-walkthrough} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-walkthrough}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1} AWS_PAGER=""
AWS=(aws ecs --endpoint-url "$GANTRY_SERVER" --output json)
extra_agents=()
made_instances=()

step() {
  sleep "$PAUSE"
  printf '\n# %s\n' "$*"
}
show() {  # prints the command (on stderr, so that what it prints can be redirected), runs it
  {
    printf '$'
    printf ' %q' "$@" | sed "s|$BIN/||"
    printf '\n'
  } >&2
  "$@"
}
fail() {
  echo "walkthrough: FAILED: $*" >&2
  exit 1
}
expect() {  # expect WHAT GOT WANT
  if [ "$2" != "$3" ]; then fail "$1: expected $3, got $2"; fi
  echo "  ok: $1 ($2)"
}
json() {  # json PYTHON-EXPRESSION-ON-d < document
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
until_true() {  # until_true SECONDS COMMAND...: polls every 0.2 s
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
zone_of() { "$G" get containerinstances "$1" -o json | json "[a['value'] for a in d['spec']['attributes'] if a['name']=='ecs.availability-zone'][0]"; }

# Tasks by instance zone for the tasks a run-task printed as JSON (gantryctl or aws): "zone count".
zones_of_tasks() {
  python3 -c '
import json, subprocess, sys
tasks = json.load(open(sys.argv[1]))["tasks"]
zones = {}
for t in tasks:
    ci = t["containerInstanceArn"].rsplit("/", 1)[1]
    d = json.loads(subprocess.run([sys.argv[2], "get", "containerinstances", ci, "-o", "json"],
                                  capture_output=True, text=True, check=True).stdout)
    z = [a["value"] for a in d["spec"]["attributes"] if a["name"] == "ecs.availability-zone"][0]
    zones[z] = zones.get(z, 0) + 1
print(" ".join(f"{z}={n}" for z, n in sorted(zones.items())))' "$1" "$G"
}
stop_tasks_of() {  # stop_tasks_of FILE: every task a run-task printed, until STOPPED (spread
  # counts the tasks of a group still on an instance, so the next step starts from none)
  local ids
  ids=$(json "' '.join(t['taskArn'].rsplit('/', 1)[1] for t in d['tasks'])" <"$1")
  for id in $ids; do "$G" stop-task "$id" --reason "walkthrough step done" >/dev/null; done
  all_stopped() {
    "$G" get tasks -o json | python3 -c '
import json, sys
ids = set(sys.argv[1:])
d = json.load(sys.stdin)
sys.exit(0 if all(t.get("status", {}).get("lastStatus") == "STOPPED"
                  for t in d["items"] if t["metadata"]["name"] in ids) else 1)' $ids
  }
  until_true 30 all_stopped || fail "the step's tasks did not stop"
}

start_agent() {  # start_agent NAME ZONE TYPE: one more local agent, stopped (tasks too) at the end
  local dir="$DATA/agents/$1"
  "$BIN/gantry-agent" --server "$GRPC" --cluster "$CLUSTER" --state-dir "$dir" \
    --stop-tasks-on-exit --attribute "ecs.availability-zone=$2" --attribute "ecs.instance-type=$3" \
    --attribute stack=prod --cpu 2048 --memory 4096 2>"$DATA/$1.log" &
  extra_agents+=($!)
  until_true 20 test -s "$dir/instance-id" || fail "agent $1 did not register"
  made_instances+=("$(cat "$dir/instance-id")")
}
daemon_tasks_on() {  # daemon_tasks_on INSTANCE GROUP: its RUNNING tasks of that group
  "$G" get tasks -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for t in d["items"] if t["spec"].get("containerInstance") == sys.argv[1]
          and t["spec"].get("group") == sys.argv[2]
          and t.get("status", {}).get("lastStatus") == "RUNNING"))' "$1" "$2"
}

cleanup() {
  set +e
  # Tasks its run-task steps left running (a step that failed).
  for id in $("$G" get tasks -o json 2>/dev/null | python3 -c '
import json, sys
print(" ".join(t["metadata"]["name"] for t in json.load(sys.stdin)["items"]
               if t["spec"].get("group") == "family:myapp"
               and t.get("status", {}).get("lastStatus") != "STOPPED"))'); do
    "$G" stop-task "$id" --reason "walkthrough ended" >/dev/null 2>&1
  done
  "$G" delete service myapp-gpu >/dev/null 2>&1
  curl -s -X DELETE "$GANTRY_SERVER/v1/environments/blox-logs" >/dev/null 2>&1
  if command -v aws >/dev/null; then
    "${AWS[@]}" delete-service --cluster "$CLUSTER" --service myapp-gpu-cli --force >/dev/null 2>&1
    "${AWS[@]}" delete-service --cluster "$CLUSTER" --service logs-cli --force >/dev/null 2>&1
  fi
  for pid in "${extra_agents[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${extra_agents[@]}"; do wait "$pid" 2>/dev/null; done
  # The instances of the agents it started leave the cluster with them.
  for id in "${made_instances[@]}"; do "$G" delete containerinstances "$id" >/dev/null 2>&1; done
}
trap cleanup EXIT

tmp=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp"' EXIT
until_true 10 "$G" get services >/dev/null 2>&1 || fail "no gantryd at $GANTRY_SERVER (start it with make run)"
count=$("$G" list-container-instances --cluster "$CLUSTER" -o json | json "len(d['containerInstanceArns'])")
expect "make run's cluster has its three instances" "$count" 3

echo "=============================== with gantryctl ==============================="
step "Two task definitions: myapp (128 cpu units, 256 MiB) and myapp-gpu, for the GPU service."
cat >"$tmp/myapp.yaml" <<'YAML'
apiVersion: gantry.dev/v1
kind: TaskDefinition
metadata: {name: myapp}
spec:
  containers: [{name: app, command: ["sleep", "3600"], cpu: 128, memory: 256}]
---
apiVersion: gantry.dev/v1
kind: TaskDefinition
metadata: {name: myapp-gpu}
spec:
  containers: [{name: app, command: ["sleep", "3600"], cpu: 128, memory: 256}]
YAML
show "$G" apply -f "$tmp/myapp.yaml"

# The talk's filters, with what make run's three instances give.
filters=(
  "attribute:ecs.instance-type matches t2.*|2|Constraint on instance family: the two t2 instances"
  "attribute:ecs.availability-zone matches us-east-1.*|3|Constraint on zone: every instance here is in us-east-1"
  "attribute:ecs.availability-zone == us-east-1a|1|Only us-east-1a"
  "attribute:ecs.instance-type matches t2.* and attribute:ecs.availability-zone == us-east-1a|1|Combining constraints: t2 in us-east-1a"
  "(attribute:ecs.instance-type in [t2.small, t2.medium] or attribute:ecs.instance-type matches g2.*) and attribute:ecs.availability-zone != us-east-1d|3|t2.small, t2.medium or g2, not in us-east-1d"
)
for f in "${filters[@]}"; do
  IFS='|' read -r expr want what <<<"$f"
  step "$what"
  show "$G" list-container-instances --cluster "$CLUSTER" --filter "$expr"
  got=$("$G" list-container-instances --cluster "$CLUSTER" --filter "$expr" -o json | json "len(d['containerInstanceArns'])")
  expect "instances matching" "$got" "$want"
done

step "Targeting an instance type: five tasks, all on the g2.2xlarge (memberOf)."
show "$G" run-task --cluster "$CLUSTER" --task-definition myapp --count 5 \
  --placement-constraints type=memberOf,expression="attribute:ecs.instance-type == g2.2xlarge" \
  -o json >"$tmp/run.json"
expect "where they went" "$(zones_of_tasks "$tmp/run.json")" "us-east-1c=5"
stop_tasks_of "$tmp/run.json"

step "Targeting instance type and zone: t2.small or t2.medium, not in us-east-1d."
show "$G" run-task --cluster "$CLUSTER" --task-definition myapp --count 5 \
  --placement-constraints type=memberOf,expression="(attribute:ecs.instance-type == t2.small or attribute:ecs.instance-type == t2.medium) and attribute:ecs.availability-zone != us-east-1d" \
  -o json >"$tmp/run.json"
got=$(zones_of_tasks "$tmp/run.json")
echo "  placed: $got"
case "$got" in *us-east-1c*) fail "a task landed on the g2 instance: $got" ;; esac
expect "tasks placed" "$(json "len(d['tasks'])" <"$tmp/run.json")" 5
stop_tasks_of "$tmp/run.json"

step "Spread across zones: nine tasks, three per zone."
show "$G" run-task --cluster "$CLUSTER" --task-definition myapp --count 9 \
  --placement-strategy type=spread,field=attribute:ecs.availability-zone -o json >"$tmp/run.json"
expect "per zone" "$(zones_of_tasks "$tmp/run.json")" "us-east-1a=3 us-east-1b=3 us-east-1c=3"
stop_tasks_of "$tmp/run.json"

step "Spread across zones, then bin-pack on memory: still three per zone, packed within each."
show "$G" run-task --cluster "$CLUSTER" --task-definition myapp --count 9 \
  --placement-strategy type=spread,field=attribute:ecs.availability-zone type=binpack,field=memory \
  -o json >"$tmp/run.json"
expect "per zone" "$(zones_of_tasks "$tmp/run.json")" "us-east-1a=3 us-east-1b=3 us-east-1c=3"
stop_tasks_of "$tmp/run.json"

step "Services, distinct instances: three GPU tasks wanted, each on its own g2 instance; one g2 here."
cat >"$tmp/gpu.yaml" <<'YAML'
apiVersion: gantry.dev/v1
kind: Service
metadata: {name: myapp-gpu}
spec:
  cluster: default
  taskDefinition: myapp-gpu
  desiredCount: 3
  placementConstraints:
    - {type: memberOf, expression: "attribute:ecs.instance-type =~ g2.*"}
    - {type: distinctInstance}
YAML
show "$G" apply -f "$tmp/gpu.yaml"
gpu_running() { [ "$("$G" get service myapp-gpu -o json | json "d.get('status', {}).get('runningCount', 0)")" = 1 ]; }
until_true 30 gpu_running || fail "myapp-gpu never ran its one placeable task"
show "$G" describe service myapp-gpu | grep -E "unable to place" | head -1 || true
expect "myapp-gpu running" "$("$G" get service myapp-gpu -o json | json "d['status']['runningCount']")" 1

step "Blox's daemon scheduler: an environment with one myapp task on every instance of the cluster."
show curl -s -X POST "$GANTRY_SERVER/v1/environments" \
  -d '{"name": "blox-logs", "instanceGroup": {"cluster": "default"}, "taskDefinition": "myapp"}'
echo
covered() {
  [ "$("$G" get environment blox-logs -o json | json "d.get('status', {}).get('instancesCovered', 0)")" = "$1" ]
}
until_true 30 covered 3 || fail "blox-logs never covered the three instances"
expect "instances running blox-logs" \
  "$("$G" get environment blox-logs -o json | json "d['status']['instancesCovered']")" 3
token=$(curl -s "$GANTRY_SERVER/v1/environments/blox-logs" | json "d['deploymentToken']")
step "A deployment through Blox's API, with the environment's deployment token."
show curl -s -X POST "$GANTRY_SERVER/v1/environments/blox-logs/deployments?deploymentToken=$token"
echo
completed() {
  curl -s "$GANTRY_SERVER/v1/environments/blox-logs/deployments" |
    json "all(i['status'] == 'completed' for i in d['items']) and len(d['items']) >= 1" | grep -q True
}
until_true 30 completed || fail "the deployment did not complete"
show curl -s "$GANTRY_SERVER/v1/environments/blox-logs/deployments"
echo

step "A fourth agent joins, in us-east-1d: it gets its daemon tasks (logs and blox-logs) at once."
echo "\$ gantry-agent --server $GRPC --cluster default --attribute ecs.availability-zone=us-east-1d --attribute ecs.instance-type=t2.small ..."
start_agent walkthrough-4 us-east-1d t2.small
fourth=${made_instances[-1]}
has_daemons() {
  [ "$(daemon_tasks_on "$fourth" environment:logs)" = 1 ] &&
    [ "$(daemon_tasks_on "$fourth" environment:blox-logs)" = 1 ]
}
until_true 20 has_daemons || fail "the new instance did not get its daemon tasks"
expect "daemon tasks on the new instance" "$(($(daemon_tasks_on "$fourth" environment:logs) + $(daemon_tasks_on "$fourth" environment:blox-logs)))" 2
show "$G" describe environment blox-logs | grep -E "^Coverage" || true

if ! command -v aws >/dev/null; then
  echo
  echo "walkthrough: the AWS CLI is not installed (Debian: awscli); its part is skipped"
  echo "walkthrough: done"
  exit 0
fi

echo
echo "=============================== with the AWS CLI ==============================="
"$G" delete service myapp-gpu >/dev/null
curl -s -X DELETE "$GANTRY_SERVER/v1/environments/blox-logs" >/dev/null
step "Four instances now; the talk's filters again, through the ECS endpoint."
filters=(
  "attribute:ecs.instance-type matches t2.*|3"
  "attribute:ecs.availability-zone matches us-east-1.*|4"
  "attribute:ecs.availability-zone == us-east-1a|1"
  "attribute:ecs.instance-type matches t2.* and attribute:ecs.availability-zone == us-east-1a|1"
  "(attribute:ecs.instance-type in [t2.small, t2.medium] or attribute:ecs.instance-type matches g2.*) and attribute:ecs.availability-zone != us-east-1d|3"
)
for f in "${filters[@]}"; do
  IFS='|' read -r expr want <<<"$f"
  show "${AWS[@]}" list-container-instances --cluster "$CLUSTER" --filter "$expr" >"$tmp/list.json"
  cat "$tmp/list.json"
  expect "instances matching" "$(json "len(d['containerInstanceArns'])" <"$tmp/list.json")" "$want"
done

step "run-task with memberOf: five tasks on the g2.2xlarge."
show "${AWS[@]}" run-task --cluster "$CLUSTER" --task-definition myapp --count 5 \
  --placement-constraints type="memberOf",expression="attribute:ecs.instance-type == g2.2xlarge" >"$tmp/run.json"
expect "where they went" "$(zones_of_tasks "$tmp/run.json")" "us-east-1c=5"
stop_tasks_of "$tmp/run.json"

step "run-task with memberOf on type and zone: never us-east-1d (the new instance) nor the g2."
show "${AWS[@]}" run-task --cluster "$CLUSTER" --task-definition myapp --count 5 \
  --placement-constraints type="memberOf",expression="(attribute:ecs.instance-type == t2.small or attribute:ecs.instance-type == t2.medium) and attribute:ecs.availability-zone != us-east-1d" >"$tmp/run.json"
got=$(zones_of_tasks "$tmp/run.json")
echo "  placed: $got"
case "$got" in *us-east-1c* | *us-east-1d*) fail "a task landed where the constraint forbids: $got" ;; esac
stop_tasks_of "$tmp/run.json"

step "Spread over the four zones, then bin-pack memory: 3, 2, 2, 2."
show "${AWS[@]}" run-task --cluster "$CLUSTER" --task-definition myapp --count 9 \
  --placement-strategy type="spread",field="attribute:ecs.availability-zone" type="binpack",field="memory" >"$tmp/run.json"
got=$(zones_of_tasks "$tmp/run.json")
counts=$(echo "$got" | tr ' ' '\n' | cut -d= -f2 | sort -n | tr '\n' ' ')
expect "per zone ($got)" "$counts" "2 2 2 3 "
stop_tasks_of "$tmp/run.json"

step "create-service with memberOf g2 and distinctInstance: one of three places."
show "${AWS[@]}" create-service --service-name myapp-gpu-cli --cluster "$CLUSTER" \
  --task-definition myapp-gpu --desired-count 3 \
  --placement-constraints type="memberOf",expression="attribute:ecs.instance-type =~ g2.*" type="distinctInstance" >/dev/null
cli_gpu_running() {
  [ "$("${AWS[@]}" describe-services --cluster "$CLUSTER" --services myapp-gpu-cli | json "d['services'][0]['runningCount']")" = 1 ]
}
until_true 30 cli_gpu_running || fail "myapp-gpu-cli never ran its one placeable task"
"${AWS[@]}" describe-services --cluster "$CLUSTER" --services myapp-gpu-cli |
  json "d['services'][0]['events'][0]['message'] if d['services'][0]['events'] else ''" | sed 's/^/  /'

step "A daemon through the ECS API: create-service --scheduling-strategy DAEMON, a task on every instance."
show "${AWS[@]}" create-service --service-name logs-cli --cluster "$CLUSTER" --task-definition myapp \
  --scheduling-strategy DAEMON >/dev/null
daemon_count() {
  [ "$("${AWS[@]}" list-tasks --cluster "$CLUSTER" --service-name logs-cli | json "len(d['taskArns'])")" = "$1" ]
}
until_true 30 daemon_count 4 || fail "logs-cli does not run on all four instances"
expect "logs-cli tasks" \
  "$("${AWS[@]}" list-tasks --cluster "$CLUSTER" --service-name logs-cli | json "len(d['taskArns'])")" 4

step "A fifth agent joins, in us-east-1d: the DAEMON service covers it as it registers."
echo "\$ gantry-agent --server $GRPC --cluster default --attribute ecs.availability-zone=us-east-1d --attribute ecs.instance-type=t2.medium ..."
start_agent walkthrough-5 us-east-1d t2.medium
until_true 20 daemon_count 5 || fail "the fifth instance did not get its daemon task"
show "${AWS[@]}" describe-services --cluster "$CLUSTER" --services logs-cli >"$tmp/svc.json"
json "'  desiredCount %d, runningCount %d, schedulingStrategy %s' % (d['services'][0]['desiredCount'], d['services'][0]['runningCount'], d['services'][0]['schedulingStrategy'])" <"$tmp/svc.json"
expect "logs-cli desiredCount" "$(json "d['services'][0]['desiredCount']" <"$tmp/svc.json")" 5
echo
echo "walkthrough: done"
