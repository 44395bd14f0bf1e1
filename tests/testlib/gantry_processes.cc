#include "tests/testlib/gantry_processes.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace gantry::testlib {

Gantryd::Gantryd(std::vector<std::string> extra_args, std::string data_dir)
    : data_dir_(data_dir.empty() ? dir_.path() + "/data" : std::move(data_dir)) {
  port_ = FreePort();
  grpc_port_ = FreePort();
  endpoint_.port = port_;
  std::vector<std::string> argv{BinDir() + "/gantryd",
                                "--data-dir",
                                data_dir_,
                                "--listen",
                                "127.0.0.1:" + std::to_string(port_),
                                "--grpc-listen",
                                "127.0.0.1:" + std::to_string(grpc_port_)};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<Process>(argv, dir_.path() + "/gantryd.log");
  ready_ = Eventually([&] { return PortAccepts(port_) && PortAccepts(grpc_port_); },
                      std::chrono::seconds(15));
}

Gantryd::~Gantryd() {
  agents_.clear();
  process_.reset();
}

std::string Gantryd::log() const { return ReadFile(dir_.path() + "/gantryd.log"); }

client::HttpClient Gantryd::Http(const std::string& token,
                                 std::chrono::milliseconds timeout) const {
  return client::HttpClient(endpoint_, token, timeout);
}

api::StatusOr<client::HttpResult> Gantryd::Ecs(
    const std::string& operation, const std::string& json_body,
    const std::map<std::string, std::string>& headers) const {
  std::map<std::string, std::string> all = headers;
  all["X-Amz-Target"] = "AmazonEC2ContainerServiceV20141113." + operation;
  return Http().RequestWithHeaders("POST", "/", json_body, "application/x-amz-json-1.1", all);
}

size_t Gantryd::StartAgent(std::vector<std::string> args) {
  size_t index = agents_.size();
  auto has = [&](const std::string& flag) {
    for (const auto& a : args)
      if (a == flag) return true;
    return false;
  };
  std::vector<std::string> argv{BinDir() + "/gantry-agent"};
  if (!has("--server")) argv.insert(argv.end(), {"--server", grpc_address()});
  if (!has("--state-dir")) argv.insert(argv.end(), {"--state-dir", agent_state_dir(index)});
  argv.insert(argv.end(), args.begin(), args.end());
  agents_.push_back(
      std::make_unique<Process>(argv, dir_.path() + "/agent" + std::to_string(index) + ".log"));
  return index;
}

std::string Gantryd::agent_log(size_t index) const {
  return ReadFile(dir_.path() + "/agent" + std::to_string(index) + ".log");
}

std::string Gantryd::agent_state_dir(size_t index) const {
  return dir_.path() + "/agent" + std::to_string(index);
}

std::string Gantryd::WriteFile(const std::string& name, const std::string& text, int mode) const {
  std::string path = dir_.path() + "/" + name;
  std::ofstream(path) << text;
  ::chmod(path.c_str(), static_cast<mode_t>(mode));
  return path;
}

}  // namespace gantry::testlib
