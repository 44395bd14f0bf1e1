#include "cli/gantryctl.h"

#include <iostream>
#include <string>
#include <vector>

#include "cli/fleet/commands.h"
#include "cli/help/completion.h"
#include "cli/help/verb_help.h"
#include "cli/help/version_command.h"
#include "cli/objects/commands.h"
#include "cli/objects/context.h"
#include "cli/services/commands.h"
#include "cli/simulate/command.h"

namespace gantry::cli {
namespace {

constexpr const char* kUsage =
    "gantryctl: the Gantry command line\n"
    "\n"
    "usage: gantryctl COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  apply -f FILE|DIR|- [-R] [--dry-run=server]        create or update objects from manifests\n"
    "  get KIND [NAME] [-o yaml|json|wide|name] [-l SEL] [-w]\n"
    "  describe KIND NAME                                 spec, status, conditions and recent "
    "events\n"
    "  delete -f FILE | delete KIND NAME...               delete objects\n"
    "  diff -f FILE                                       live vs would-be (exit 0 same, 1 "
    "differs)\n"
    "  wait KIND NAME --for=condition=Ready|jsonpath='{.status.x}'=V [--timeout=30s]\n"
    "  status -f FILE|DIR|- [-R] [--wait]                 kstatus health of each object (exit 0: "
    "all "
    "Current)\n"
    "  plan -f FILE|DIR|- [-R]                            what the Service controller would do "
    "now (exit 0 all place, 1 not, 2 error)\n"
    "  scale service NAME --replicas N                    set a service's desiredCount\n"
    "  rollout status service|environment NAME [--timeout=DURATION]\n"
    "                                                     follow its rollout (exit 0 done, 1 "
    "failed or timed out)\n"
    "  rollout history service NAME                       its deployments, oldest first\n"
    "  rollout undo service NAME [--to-revision=N]        back to the previous completed "
    "revision (or FAMILY:N)\n"
    "  events [-w] [--for KIND/NAME] [-o json]            events, oldest first (-o json: the ECS "
    "event of each, one per line)\n"
    "  logs TASK [-f] [--container NAME]                  a task's output (-f: until it stops)\n"
    "  simulate -f FILE [--explain]   place tasks offline on a cluster described in FILE\n"
    "  version                        print the version\n"
    "  help                           print this help\n"
    "\n"
    "ECS verbs (calls to the ECS endpoint; --cluster defaults to \"default\"):\n"
    "  run-task --task-definition TD [--count N] [--cluster C] [--group G] [--started-by S]\n"
    "           [--placement-constraints type=memberOf,expression=\"EXPR\" type=distinctInstance]\n"
    "           [--placement-strategy type=spread,field=F type=binpack,field=memory] [-o json]\n"
    "                                  (both also take a JSON array: '[{\"type\":\"random\"}]')\n"
    "  list-container-instances [--cluster C] [--filter EXPR] [--status S] [-o json|wide]\n"
    "  drain INSTANCE [--cluster C]                       set DRAINING: no new tasks\n"
    "  undrain INSTANCE [--cluster C]                     set ACTIVE again\n"
    "  stop-task TASK [--cluster C] [--reason R]\n"
    "  describe-tasks TASK... [--cluster C]               the DescribeTasks JSON\n"
    "\n"
    "global flags: --server URL (or GANTRY_SERVER; default http://127.0.0.1:7700),\n"
    "              --token TOKEN (or GANTRY_TOKEN),\n"
    "              --certificate-authority FILE (or GANTRY_CA) for an https:// server,\n"
    "              --client-certificate FILE --client-key FILE (or GANTRY_CLIENT_CERT,\n"
    "              GANTRY_CLIENT_KEY) to authenticate with a certificate\n";

}  // namespace

int GantryctlMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // Global flags may stand anywhere: gantryctl --server URL get svc.
  auto global = TakeGlobalOptions(args);
  if (!global.ok()) {
    std::cerr << "error: " << global.status().message() << "\n";
    return 1;
  }
  if (args.empty() || args[0] == "-h" || args[0] == "--help" ||
      (args[0] == "help" && args.size() == 1)) {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string verb = args[0];
  args.erase(args.begin());
  // `gantryctl help VERB` and `gantryctl VERB -h|--help`.
  if (verb == "help" || AsksForHelp(args)) {
    const std::string& asked = verb == "help" ? args[0] : verb;
    if (const VerbHelp* help = FindVerbHelp(asked)) {
      std::cout << HelpText(*help);
      return 0;
    }
    std::cerr << "gantryctl: unknown command '" << asked << "' (see gantryctl help)\n";
    return 2;
  }
  if (verb == "simulate") return RunSimulate(args, std::cout, std::cerr);
  if (verb == "completion") return RunCompletion(args, std::cout, std::cerr);
  using ObjectVerb = int (*)(const std::vector<std::string>&, const CommandContext&);
  const std::pair<const char*, ObjectVerb> verbs[] = {
      {"apply", RunApply},        {"get", RunGet},
      {"describe", RunDescribe},  {"delete", RunDelete},
      {"diff", RunDiff},          {"wait", RunWait},
      {"events", RunEvents},      {"logs", RunLogs},
      {"run-task", RunRunTask},   {"list-container-instances", RunListContainerInstances},
      {"drain", RunDrain},        {"undrain", RunUndrain},
      {"stop-task", RunStopTask}, {"describe-tasks", RunDescribeTasks},
      {"scale", RunScale},        {"rollout", RunRollout},
      {"plan", RunPlan},          {"status", RunStatus},
      {"sync", RunSync},
  };
  for (const auto& [name, run] : verbs) {
    if (verb != name) continue;
    CommandContext ctx{*global, std::cout, std::cerr};
    return run(args, ctx);
  }
  if (verb == "version" || verb == "--version") {
    CommandContext ctx{*global, std::cout, std::cerr};
    return RunVersion(args, ctx);
  }
  std::cerr << "gantryctl: unknown command '" << verb << "' (see gantryctl help)\n";
  return 2;
}

}  // namespace gantry::cli
