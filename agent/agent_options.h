#pragma once

// gantry-agent's settings, as the command line gives them.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gantry::agent {

struct AgentOptions {
  std::string server;  // gantryd's gRPC HOST:PORT
  std::string cluster = "default";
  std::string state_dir;  // made 0700: tasks never read the agent's identity, records or logs
  std::string token;      // from --token-file or GANTRY_TOKEN, never from argv
  // Whom tasks without a `user` run as when the agent is root, and whether a definition may ask
  // for root (--task-user, --allow-root-tasks).
  std::string task_user = "nobody";
  bool allow_root_tasks = false;
  // On SIGTERM/SIGINT, stop every task (SIGTERM, then SIGKILL after its stopTimeout) and report
  // it STOPPED before exiting, so nothing the agent started outlives it (make run's Ctrl-C).
  // Otherwise tasks keep running and the next start re-adopts them.
  bool stop_tasks_on_exit = false;
  // Per container and stream, the output kept on this machine (--log-max-size, --log-max-files).
  int64_t log_max_size = int64_t{10} << 20;
  int log_max_files = 2;
  std::vector<std::pair<std::string, std::string>> attributes;  // --attribute NAME=VALUE
  int cpu = 0;                                                  // 0: 1024 per core
  int memory = 0;          // MiB; 0: the machine's memory less a reserve
  std::vector<int> ports;  // host ports reserved for other uses
  std::chrono::milliseconds heartbeat_interval{5'000};
  // --simulate N: N virtual instances in this process.
  int simulate = 0;
  std::vector<std::string> simulate_zones{"us-east-1a", "us-east-1b", "us-east-1c"};
  std::vector<std::string> simulate_types{"t2.small", "t2.medium", "m5.large"};
};

inline constexpr const char* kAgentVersion = "0.1.0";

}  // namespace gantry::agent
