// gantry-agent: one per machine (or --simulate N for a virtual fleet).
//
//   gantry-agent --server HOST:PORT --cluster NAME --state-dir DIR [--attribute NAME=VALUE]...
//                [--cpu UNITS] [--memory MIB] [--ports LIST] [--token-file FILE]
//                [--task-user USER[:GROUP]] [--allow-root-tasks] [--stop-tasks-on-exit]
//                [--tls] [--ca-file FILE] [--cert-file FILE --key-file FILE]
//                [--log-max-size SIZE] [--log-max-files N]
//                [--simulate N [--simulate-zones a,b,c] [--simulate-types t2.small,m5.large]]
//
// Stops on SIGTERM or SIGINT; the tasks it runs keep running and the next start re-adopts them,
// unless --stop-tasks-on-exit.

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent.h"
#include "agent/driver/task_user.h"
#include "agent/simulated_fleet.h"
#include "agent/token_file.h"
#include "api/grpc/agent_client.h"
#include "cmd/common/flags.h"

namespace {

constexpr const char* kUsage =
    "usage: gantry-agent --server HOST:PORT --cluster NAME --state-dir DIR [--attribute "
    "NAME=VALUE]...\n"
    "                    [--cpu UNITS] [--memory MIB] [--ports LIST] [--token-file FILE]\n"
    "                    [--task-user USER[:GROUP]] [--allow-root-tasks] [--stop-tasks-on-exit]\n"
    "                    [--tls] [--ca-file FILE] [--cert-file FILE --key-file FILE]\n"
    "                    [--log-max-size SIZE] [--log-max-files N]\n"
    "                    [--simulate N [--simulate-zones a,b,c] [--simulate-types t,u]]\n"
    "  --server HOST:PORT       gantryd's gRPC address (required)\n"
    "  --cluster NAME           cluster to join, created if missing (default: default)\n"
    "  --state-dir DIR          identity, task records and logs; made private (0700) (required)\n"
    "  --attribute NAME=VALUE   an instance attribute (ecs.availability-zone, ecs.instance-type,\n"
    "                           ecs.ami-id or any custom name); repeatable\n"
    "  --cpu UNITS              cpu to offer (default 1024 per core)\n"
    "  --memory MIB             memory to offer (default: the machine's less a reserve)\n"
    "  --ports LIST             host ports reserved for other uses, e.g. 22,8080\n"
    "  --token-file FILE        bearer token for gantryd, one line in a file only the agent's\n"
    "                           user may read (mode 0600); or set GANTRY_TOKEN\n"
    "  --task-user USER[:GROUP] whom tasks without a `user` run as when the agent runs as root\n"
    "                           (name or uid, default nobody); never root\n"
    "  --allow-root-tasks       let a task definition ask for `user: root` (or 0) explicitly\n"
    "  --stop-tasks-on-exit     on SIGTERM/SIGINT stop every task and report it STOPPED before\n"
    "                           exiting (default: tasks keep running and are re-adopted)\n"
    "  --log-max-size SIZE      rotate each container's stdout/stderr at SIZE (default 10m;\n"
    "                           k, m, g are KiB, MiB, GiB)\n"
    "  --log-max-files N        files kept per stream, the current one included (default 2)\n"
    "  --tls                    reach gantryd over TLS, trusting the system's CAs\n"
    "  --ca-file FILE           reach gantryd over TLS, trusting the CA certificates in FILE\n"
    "  --cert-file FILE         a client certificate (PEM) to authenticate with, with --key-file;\n"
    "                           its subject's O names the role (agent)\n"
    "  --key-file FILE          the client certificate's private key (PEM)\n"
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

// "10m", "512k", "1g", "1048576" (bytes); k, m and g are binary (KiB, MiB, GiB), as Docker's
// max-size; "MiB", "mb" and the like are accepted too.
bool ParseSize(const std::string& text, int64_t& out) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 13) return false;
  std::string unit;
  for (char c : text.substr(digits)) unit.push_back(static_cast<char>(std::tolower(c)));
  if (unit.ends_with("ib")) {
    unit.resize(unit.size() - 2);
    if (unit.empty()) return false;
  } else if (unit.size() == 2 && unit[1] == 'b') {
    unit.pop_back();
  } else if (unit == "b") {
    unit.clear();
  }
  int shift = unit.empty() ? 0 : unit == "k" ? 10 : unit == "m" ? 20 : unit == "g" ? 30 : -1;
  if (shift < 0) return false;
  long long n = std::stoll(text.substr(0, digits));
  if (n > (int64_t{1} << 50)) return false;  // shifted, still far from overflowing
  out = static_cast<int64_t>(n) << shift;
  return true;
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

// A certificate or key file, read whole; PEM files are small, so anything past 1 MiB is a mistake.
gantry::api::StatusOr<std::string> ReadPemFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return gantry::api::Status(gantry::api::Code::kFailedPrecondition,
                               "cannot read " + path + ": " + std::strerror(errno));
  }
  constexpr size_t kMaxPem = 1 << 20;
  std::string text(kMaxPem + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxPem) {
    return gantry::api::Status(gantry::api::Code::kFailedPrecondition,
                               path + " is larger than 1 MiB; expected a PEM file");
  }
  if (text.find("-----BEGIN ") == std::string::npos) {
    return gantry::api::Status(gantry::api::Code::kFailedPrecondition,
                               path + " holds no PEM block (-----BEGIN ...)");
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  gantry::agent::AgentOptions o;
  std::string token_file;
  bool tls = false;
  std::string ca_file, cert_file, key_file;
  bool task_user_given = false;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--allow-root-tasks") {  // the flags without a value
      o.allow_root_tasks = true;
      continue;
    }
    if (args[i] == "--tls") {
      tls = true;
      continue;
    }
    if (args[i] == "--stop-tasks-on-exit") {
      o.stop_tasks_on_exit = true;
      continue;
    }
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
      return Fail(
          "--token is no longer accepted: a token in the command line shows in /proc/PID/cmdline "
          "to every local user and task; put it in a file only the agent's user can read (mode "
          "0600) and pass --token-file FILE, or set GANTRY_TOKEN");
    } else if (a == "--token-file") {
      if (value.empty()) return Fail("--token-file needs a file name");
      token_file = value;
    } else if (a == "--task-user") {
      auto spec = gantry::agent::ParseUserSpec(value, "--task-user");
      if (!spec.ok()) return Fail(spec.status().ToString());
      o.task_user = value;
      task_user_given = true;
    } else if (a == "--allow-root-tasks") {
      if (value != "true" && value != "false")
        return Fail("--allow-root-tasks takes no value (or =true, =false), got '" + value + "'");
      o.allow_root_tasks = value == "true";
    } else if (a == "--log-max-size") {
      if (!ParseSize(value, o.log_max_size) || o.log_max_size < gantry::agent::kMinLogMaxSize ||
          o.log_max_size > gantry::agent::kMaxLogMaxSize)
        return Fail("--log-max-size must be a size between 1k and 1024g, like 10m, got '" + value +
                    "'");
    } else if (a == "--log-max-files") {
      if (!ParseInt(value, 1, gantry::agent::kMaxLogMaxFiles, o.log_max_files))
        return Fail("--log-max-files must be between 1 and " +
                    std::to_string(gantry::agent::kMaxLogMaxFiles) + ", got '" + value + "'");
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
    } else if (a == "--ca-file") {
      ca_file = value;
    } else if (a == "--cert-file") {
      cert_file = value;
    } else if (a == "--key-file") {
      key_file = value;
    } else {
      return Fail("unknown flag " + a + " (see gantry-agent --help)");
    }
  }
  if (o.server.empty()) return Fail("--server is required (gantryd's gRPC HOST:PORT)");
  if (o.state_dir.empty()) return Fail("--state-dir is required");
  if (o.cluster.empty()) return Fail("--cluster must not be empty");
  auto token = gantry::agent::LoadAgentToken(token_file, getenv("GANTRY_TOKEN"));
  if (!token.ok()) return Fail(token.status().ToString());
  o.token = token->value_or("");
  unsetenv("GANTRY_TOKEN");  // nothing the agent starts inherits it
  if (o.simulate == 0) {
    if (geteuid() == 0) {
      // Checked now, not when the first task fails to start.
      auto identity = gantry::agent::ResolveTaskUser(
          "", gantry::agent::CurrentTaskUserPolicy(o.task_user, o.allow_root_tasks));
      if (!identity.ok()) return Fail(identity.status().ToString());
    } else if (task_user_given) {
      return Fail("--task-user needs an agent running as root; an agent running as uid " +
                  std::to_string(geteuid()) + " runs its tasks as itself");
    }
  }

  const sigset_t stop_signals = gantry::cmd::BlockStopSignals();

  if (cert_file.empty() != key_file.empty()) return Fail("--cert-file and --key-file go together");
  gantry::grpcapi::ChannelTls channel_tls;
  channel_tls.enabled = tls || !ca_file.empty() || !cert_file.empty();
  for (auto [path, pem] : {std::pair{&ca_file, &channel_tls.root_certs_pem},
                           std::pair{&cert_file, &channel_tls.cert_chain_pem},
                           std::pair{&key_file, &channel_tls.private_key_pem}}) {
    if (path->empty()) continue;
    auto text = ReadPemFile(*path);
    if (!text.ok()) return Fail(text.status().ToString());
    *pem = std::move(*text);
  }

  gantry::grpcapi::AgentClient client(o.server, o.token, channel_tls);
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
