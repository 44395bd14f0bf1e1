#include "cli/gantryctl.h"

#include <iostream>
#include <string>
#include <vector>

#include "cli/simulate/command.h"

namespace gantry::cli {
namespace {

constexpr const char* kUsage =
    "gantryctl: the Gantry command line\n"
    "\n"
    "usage: gantryctl COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  simulate -f FILE [--explain]   place tasks offline on a cluster described in FILE\n"
    "  version                        print the version\n"
    "  help                           print this help\n";

}  // namespace

int GantryctlMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string verb = args[0];
  args.erase(args.begin());
  if (verb == "simulate") return RunSimulate(args, std::cout, std::cerr);
  if (verb == "version" || verb == "--version") {
    std::cout << "gantryctl " GANTRY_VERSION "\n";
    return 0;
  }
  std::cerr << "gantryctl: unknown command '" << verb << "' (see gantryctl help)\n";
  return 2;
}

}  // namespace gantry::cli
