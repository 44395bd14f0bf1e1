#include "cli/help/verb_help.h"

#include <algorithm>

namespace gantry::cli {

const std::vector<VerbHelp>& AllVerbHelp() {
  static const std::vector<VerbHelp> kVerbs = {
      {"apply",
       "apply -f FILE|DIR|- [-R] [--prune --inventory NAME] [--dry-run=server] "
       "[--field-manager NAME] [--force-conflicts] [--server-side=false]",
       "Create or update objects from YAML or JSON manifests (server-side apply: fields a "
       "manifest leaves out keep what other writers set).",
       "  -f FILE|DIR|-      manifests: a file, every .yaml/.yml/.json in a directory, or stdin\n"
       "  -R                 with a directory, its subdirectories too\n"
       "  --prune --inventory NAME\n"
       "                     the manifests are one set, recorded in Inventory NAME: objects that\n"
       "                     left them are deleted, objects the inventory never applied never\n"
       "                     are, another inventory's objects are refused; one bad manifest and\n"
       "                     nothing is written or deleted\n"
       "  --dry-run=server   the server checks every object and, for a Service, plans its\n"
       "                     placement; nothing is stored (exit 1 when tasks would not place);\n"
       "                     with --prune, also what would be pruned\n"
       "  --field-manager NAME  who owns the fields the manifests set (default gantryctl)\n"
       "  --force-conflicts  take fields another manager set to other values (gantryctl scale,\n"
       "                     the ECS API) instead of failing with the conflicts listed\n"
       "  --server-side=false  replace spec, labels and annotations whole (fields left out go\n"
       "                     back to their defaults)",
       "  # a task definition and a service that uses it\n"
       "  gantryctl apply -f examples/manifests/\n"
       "  # what would happen, stored nowhere\n"
       "  gantryctl apply -f web.yaml --dry-run=server\n"
       "  # keep the cluster equal to a directory in Git, taking back what was changed by hand\n"
       "  gantryctl apply -f deploy/ -R --prune --inventory prod --force-conflicts"},
      {"get", "get KIND [NAME] [-o yaml|json|wide|name] [-l SELECTOR] [-w] [--show-managed-fields]",
       "List objects of a kind, or show one.",
       "  KIND               services (svc), environments (env), tasks, containerinstances,\n"
       "                     taskdefinitions, deployments, clusters, events, inventories (inv),\n"
       "                     syncs, secrets\n"
       "  -o FORMAT          yaml, json, wide (more columns) or name\n"
       "  -l SELECTOR        label selector, Kubernetes syntax: app=web,tier in (a,b)\n"
       "  -w                 keep watching and print each change\n"
       "  --show-managed-fields  with -o yaml|json, also who set which field",
       "  gantryctl get svc -o wide\n"
       "  gantryctl get svc web -o yaml > web.yaml\n"
       "  gantryctl get tasks -l app=web -w"},
      {"describe", "describe KIND NAME",
       "Show an object's spec, status, conditions, deployments and recent events.", "",
       "  gantryctl describe service web\n"
       "  gantryctl describe env logs       # coverage, failed instances, deployments"},
      {"delete", "delete -f FILE | delete KIND NAME...", "Delete objects.",
       "  -f FILE            the objects a manifest names",
       "  gantryctl delete svc web\n"
       "  gantryctl delete -f examples/manifests/web.yaml"},
      {"diff",
       "diff -f FILE|DIR|- [-R] [--inventory NAME [--prune]] [--field-manager NAME] "
       "[--force-conflicts] [--server-side=false]",
       "Show how the live objects differ from the manifests.",
       "  exit code 0: no difference, 1: differences, 2 or more: an error (as kubectl diff)\n"
       "  --inventory NAME   as apply --prune --inventory NAME would apply them\n"
       "  --prune            also the inventory's objects apply --prune would delete\n"
       "  --field-manager, --force-conflicts, --server-side=false  as apply (a conflict is exit 2)",
       "  gantryctl diff -f web.yaml && echo in sync\n"
       "  gantryctl diff -f deploy/ -R --inventory prod --prune || gantryctl apply -f deploy/ -R "
       "--prune --inventory prod"},
      {"wait",
       "wait KIND NAME --for=condition=TYPE[=STATUS] | --for=jsonpath='{.PATH}'[=VALUE] | "
       "--for=delete [--timeout=30s]",
       "Wait until an object reports a condition or a value, or is gone.",
       "  --for=condition=T  Ready, Reconciling or Stalled; =False to wait for it to clear\n"
       "  --for=jsonpath='{.status.runningCount}'=3\n"
       "                     until the field has that value (without =VALUE: until it is set)\n"
       "  --for=delete       until the object no longer exists\n"
       "  --timeout=D        give up after D (500ms, 30s, 5m); exit 1",
       "  gantryctl wait svc web --for=condition=Ready --timeout=60s\n"
       "  gantryctl wait svc web --for=jsonpath='{.status.runningCount}'=6"},
      {"status", "status -f FILE|DIR|- [-R] [--wait] [--timeout=5m]",
       "kstatus health of every object the manifests name: Current, InProgress, Failed or "
       "NotFound.",
       "  exit code 0: every object Current, 1: not (or an error)\n"
       "  --wait             poll until all are Current, one Failed, or the timeout passes",
       "  gantryctl apply -f deploy/ && gantryctl status -f deploy/ --wait --timeout=10m"},
      {"sync", "sync NAME [--timeout=2m] [--no-wait]",
       "Ask a Sync for a pass now: fetch its Git ref, apply, prune; wait for the answer.",
       "  exit code 0: the pass applied the revision, 1: it did not (the reason is printed)\n"
       "  --no-wait          ask and return",
       "  gantryctl sync prod"},
      {"plan", "plan -f FILE|DIR|- [-R]",
       "What the Service controller would do now with these Services: where each task goes.",
       "  exit code 0: every task would place, 1: some would not, 2: an error",
       "  gantryctl plan -f web.yaml"},
      {"scale", "scale service NAME --replicas N", "Set a Service's desiredCount.", "",
       "  gantryctl scale service web --replicas 6"},
      {"rollout",
       "rollout status|history|undo service|environment NAME [--timeout=D] "
       "[--to-revision=N]",
       "Follow, list or undo a Service's deployments; follow an Environment's roll.",
       "  status             until rolled out (exit 0) or failed / timed out (exit 1); live on a\n"
       "                     terminal, one line per change in a pipe\n"
       "  history            a Service's deployments, oldest first\n"
       "  undo               back to the previous completed revision (or --to-revision=N)",
       "  gantryctl rollout status service web --timeout=5m\n"
       "  gantryctl rollout status environment logs\n"
       "  gantryctl rollout undo service web --to-revision=2"},
      {"events", "events [-w] [--for KIND/NAME] [-o json]",
       "Events, oldest first: task and instance state changes, controller events.",
       "  -w                 keep watching\n"
       "  --for KIND/NAME    only about one object\n"
       "  -o json            the ECS-shaped event of each, one per line",
       "  gantryctl events --for service/web\n"
       "  gantryctl events -w -o json | jq .detail.lastStatus"},
      {"logs", "logs TASK [-f] [--container NAME]", "A task's output, through gantryd.",
       "  -f                 follow until the task stops\n"
       "  --container NAME   one container of a task with several",
       "  gantryctl logs 5f6f347d-fa9a-4a72-8c26-288109f93889 -f"},
      {"run-task",
       "run-task --task-definition TD [--count N] [--cluster C] [--group G] [--started-by S] "
       "[--placement-constraints ...] [--placement-strategy ...] [-o json]",
       "Place and start tasks (ECS RunTask).",
       "  --placement-constraints type=memberOf,expression=\"EXPR\" type=distinctInstance\n"
       "  --placement-strategy type=spread,field=F type=binpack,field=memory\n"
       "                     both also take a JSON array: '[{\"type\":\"random\"}]'",
       "  # nine tasks spread over the zones, then bin-packed on memory\n"
       "  gantryctl run-task --task-definition web --count 9 \\\n"
       "    --placement-strategy type=spread,field=attribute:ecs.availability-zone "
       "type=binpack,field=memory"},
      {"list-container-instances",
       "list-container-instances [--cluster C] [--filter EXPR] [--status S] [-o json|wide]",
       "The container instances of a cluster, optionally filtered with the query language.",
       "  --filter EXPR      cluster query language, as ECS: attribute:ecs.instance-type =~ t2.*\n"
       "  --status S         ACTIVE or DRAINING",
       "  gantryctl list-container-instances --filter \"attribute:ecs.instance-type matches t2.* "
       "and attribute:ecs.availability-zone != us-east-1d\""},
      {"drain", "drain INSTANCE [--cluster C]",
       "Set an instance DRAINING: no new tasks; services move theirs elsewhere.", "",
       "  gantryctl drain 8dbc0bab-23b3-44c7-832e-ff42795b4a41"},
      {"undrain", "undrain INSTANCE [--cluster C]", "Set a draining instance ACTIVE again.", "",
       "  gantryctl undrain 8dbc0bab-23b3-44c7-832e-ff42795b4a41"},
      {"stop-task", "stop-task TASK [--cluster C] [--reason R] [-o json]",
       "Stop a task (ECS StopTask): its agent sends SIGTERM, then SIGKILL after stopTimeout.", "",
       "  gantryctl stop-task 5f6f347d-fa9a-4a72-8c26-288109f93889 --reason \"done\""},
      {"describe-tasks", "describe-tasks TASK... [--cluster C]",
       "The ECS DescribeTasks answer for tasks, as JSON.", "",
       "  gantryctl describe-tasks 5f6f347d-fa9a-4a72-8c26-288109f93889"},
      {"simulate", "simulate -f FILE [--explain]",
       "Place tasks offline on a cluster described in a YAML or JSON file (no server).",
       "  --explain          every instance's verdict at every stage",
       "  gantryctl simulate -f examples/simulate/cluster.yaml --explain"},
      {"completion", "completion bash|zsh", "Print a shell completion script.", "",
       "  source <(gantryctl completion bash)\n"
       "  gantryctl completion zsh > \"${fpath[1]}/_gantryctl\""},
      {"version", "version [--client]",
       "Print gantryctl's version and the server's (--client: gantryctl's only).", "",
       "  gantryctl version"},
      {"help", "help [VERB]", "Print the list of verbs, or one verb's help.", "",
       "  gantryctl help rollout"},
  };
  return kVerbs;
}

const VerbHelp* FindVerbHelp(std::string_view verb) {
  for (const auto& v : AllVerbHelp())
    if (verb == v.verb) return &v;
  return nullptr;
}

std::string HelpText(const VerbHelp& help) {
  std::string out = std::string(help.summary) + "\n\nusage: gantryctl " + help.usage + "\n";
  if (*help.details) out += "\n" + std::string(help.details) + "\n";
  out += "\nexamples:\n" + std::string(help.examples) + "\n";
  out +=
      "\nglobal flags: --server URL, --token TOKEN, --certificate-authority FILE, "
      "--client-certificate FILE --client-key FILE (gantryctl help)\n";
  return out;
}

bool AsksForHelp(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(),
                     [](const std::string& a) { return a == "-h" || a == "--help"; });
}

}  // namespace gantry::cli
