// gantry-agent: one per machine (or --simulate N for a virtual fleet).
//
//   gantry-agent --server HOST:PORT --cluster NAME --state-dir DIR [--attribute NAME=VALUE]...
//                [--cpu UNITS] [--memory MIB] [--ports LIST] [--token T]
//                [--simulate N [--simulate-zones a,b,c] [--simulate-types t2.small,m5.large]]
//
// Stops on SIGTERM or SIGINT; the tasks it runs keep running and the next start re-adopts them.

#include <signal.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent.h"
#include "agent/simulated_fleet.h"
#include "api/grpc/agent_client.h"
#include "cmd/common/flags.h"

namespace {

constexpr const char* kUsage =
    "usage: gantry-agent --server HOST:PORT --cluster NAME --state-dir DIR [--attribute "
    "NAME=VALUE]...\n"
    "                    [--cpu UNITS] [--memory MIB] [--ports LIST] [--token T]\n"
    "                    [--simulate N [--simulate-zones a,b,c] [--simulate-types t,u]]\n"
    "  --server HOST:PORT       gantryd's gRPC address (required)\n"
    "  --cluster NAME           cluster to join, created if missing (default: default)\n"
    "  --state-dir DIR          identity and task directories (required)\n"
    "  --attribute NAME=VALUE   an instance attribute (ecs.availability-zone, ecs.instance-type,\n"
    "                           ecs.ami-id or any custom name); repeatable\n"
    "  --cpu UNITS              cpu to offer (default 1024 per core)\n"
    "  --memory MIB             memory to offer (default: the machine's less a reserve)\n"
    "  --ports LIST             host ports reserved for other uses, e.g. 22,8080\n"
    "  --token T                bearer token for gantryd\n"
    "  --heartbeat-interval DUR how often to heartbeat (default 5s; e.g. 500ms, 2s)\n"
    "  --simulate N             run N virtual instances instead of real tasks\n"
    "  --simulate-zones LIST    zones the virtual instances rotate over\n"
    "  --simulate-types LIST    instance types they rotate over\n";

int Fail(const std::string& message) {
  std::cerr << "gantry-agent: " << message << "\n";
  return 2;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

bool ParseInt(const std::string& s, int lo, int hi, int& out) {
  try {
    size_t used = 0;
    long v = std::stol(s, &used);
    if (used != s.size() || v < lo || v > hi) return false;
    out = static_cast<int>(v);
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  gantry::agent::AgentOptions o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a, value;
    switch (gantry::cmd::NextFlag(args, i, a, value)) {
      case gantry::cmd::FlagResult::kHelp:
        std::cout << kUsage;
        return 0;
      case gantry::cmd::FlagResult::kMissingValue:
        return Fail(a + " needs a value (see gantry-agent --help)");
      case gantry::cmd::FlagResult::kFlag:
        break;
    }
    if (a == "--server") {
      o.server = value;
    } else if (a == "--cluster") {
      o.cluster = value;
    } else if (a == "--state-dir") {
      o.state_dir = value;
    } else if (a == "--token") {
      o.token = value;
    } else if (a == "--attribute") {
      size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0)
        return Fail("--attribute must be NAME=VALUE, got '" + value + "'");
      o.attributes.emplace_back(value.substr(0, eq), value.substr(eq + 1));
    } else if (a == "--cpu") {
      if (!ParseInt(value, 1, 1 << 30, o.cpu)) return Fail("--cpu must be a positive integer");
    } else if (a == "--memory") {
      if (!ParseInt(value, 1, 1 << 30, o.memory))
        return Fail("--memory must be a positive number of MiB");
    } else if (a == "--ports") {
      for (const auto& p : SplitList(value)) {
        int port = 0;
        if (!ParseInt(p, 1, 65535, port)) return Fail("--ports: '" + p + "' is not a port");
        o.ports.push_back(port);
      }
    } else if (a == "--heartbeat-interval") {
      if (!gantry::cmd::ParseDuration(value, o.heartbeat_interval))
        return Fail("--heartbeat-interval must be like 500ms or 5s");
    } else if (a == "--simulate") {
      if (!ParseInt(value, 1, 1'000'000, o.simulate))
        return Fail("--simulate must be a positive number of instances");
    } else if (a == "--simulate-zones") {
      o.simulate_zones = SplitList(value);
    } else if (a == "--simulate-types") {
      o.simulate_types = SplitList(value);
    } else {
      return Fail("unknown flag " + a + " (see gantry-agent --help)");
    }
  }
  if (o.server.empty()) return Fail("--server is required (gantryd's gRPC HOST:PORT)");
  if (o.state_dir.empty()) return Fail("--state-dir is required");
  if (o.cluster.empty()) return Fail("--cluster must not be empty");

  const sigset_t stop_signals = gantry::cmd::BlockStopSignals();

  gantry::grpcapi::AgentClient client(o.server, o.token);
  std::unique_ptr<gantry::agent::SimulatedFleet> fleet;
  std::unique_ptr<gantry::agent::Agent> agent;
  // Everything that can fail runs before the signal thread exists.
  if (o.simulate > 0) {
    fleet = std::make_unique<gantry::agent::SimulatedFleet>(o, client);
    if (auto st = fleet->Init(); !st.ok()) return Fail(st.ToString());
  } else {
    agent = std::make_unique<gantry::agent::Agent>(o, client);
    if (auto st = agent->Init(); !st.ok()) return Fail(st.ToString());
  }
  std::atomic<bool> stop{false};
  std::thread waiter([&] {
    std::cerr << "gantry-agent: " << gantry::cmd::WaitForStopSignal(stop_signals) << ", stopping"
              << std::endl;
    stop = true;
  });
  if (fleet) {
    fleet->Run(stop);
  } else {
    agent->Run(stop);
  }
  waiter.join();
  std::cerr << "gantry-agent: stopped" << std::endl;
  return 0;
}
