#pragma once

// gantryd and gantry-agent as real processes for integration and security tests: loopback ports
// picked at run time, a fresh data dir, readiness by polling, everything killed at destruction.
//
//   testlib::Gantryd gantryd({"--token-file", tokens});
//   ASSERT_TRUE(gantryd.ready()) << gantryd.log();
//   auto r = gantryd.Http("admin-token").Request("GET", "/apis/gantry.dev/v1/tasks");
//   gantryd.StartAgent({"--cluster", "demo", "--token-file", agent_token});

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/client/http_client.h"
#include "tests/testlib/testlib.h"

namespace gantry::testlib {

class Gantryd {
 public:
  // Starts gantryd on free loopback ports with `extra_args` after the defaults (--data-dir,
  // --listen, --grpc-listen), and waits up to 15 s until its REST port accepts connections.
  // `data_dir` reuses a directory (a restart); empty makes a fresh one.
  explicit Gantryd(std::vector<std::string> extra_args = {}, std::string data_dir = "");
  ~Gantryd();

  bool ready() const { return ready_; }
  int port() const { return port_; }
  int grpc_port() const { return grpc_port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string grpc_address() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  const std::string& data_dir() const { return data_dir_; }
  // A scratch directory that lives as long as this object (token files, agent state, ...).
  const std::string& dir() const { return dir_.path(); }
  Process& process() { return *process_; }
  // What gantryd wrote to stdout and stderr so far, for failure messages.
  std::string log() const;

  // How Http() and Ecs() reach the REST port; a TLS test sets tls, ca_file and the client
  // certificate here.
  client::Endpoint& endpoint() { return endpoint_; }
  // A client of the REST port, with `token` as bearer token when not empty.
  client::HttpClient Http(const std::string& token = "",
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // An ECS call (POST / with X-Amz-Target) with `headers` added (Authorization among them).
  api::StatusOr<client::HttpResult> Ecs(
      const std::string& operation, const std::string& json_body,
      const std::map<std::string, std::string>& headers = {}) const;

  // Starts a gantry-agent against this gantryd (--server, --state-dir filled in unless given);
  // the agent lives until this object dies or StopAgents(). Returns its index.
  size_t StartAgent(std::vector<std::string> args);
  Process& agent(size_t index) { return *agents_.at(index); }
  std::string agent_log(size_t index) const;
  std::string agent_state_dir(size_t index) const;
  void StopAgents() { agents_.clear(); }

  // Writes `text` to dir()/name with `mode` and returns the path.
  std::string WriteFile(const std::string& name, const std::string& text, int mode = 0600) const;

 private:
  TempDir dir_;
  std::string data_dir_;
  int port_ = 0;
  int grpc_port_ = 0;
  client::Endpoint endpoint_;
  bool ready_ = false;
  std::unique_ptr<Process> process_;
  std::vector<std::unique_ptr<Process>> agents_;
};

}  // namespace gantry::testlib
