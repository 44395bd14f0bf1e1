// gantryd: the control plane in one process.
//
//   gantryd [--data-dir DIR] [--listen HOST:PORT] [--grpc-listen HOST:PORT] [--token-file FILE]
//           [--region R] [--account-id N] [--aws-credentials-file FILE] [--heartbeat-timeout D]
//           [--instance-lost-after D] [--task-retention D] [--event-retention D]
//
// Opens (or creates) DIR/gantry.db (DIR 0700, the database files 0600), serves the REST API,
// the ECS-compatible endpoint (POST /), /metrics, /healthz and /readyz on --listen, the object
// and agent gRPC services on --grpc-listen, and stops cleanly on SIGTERM or SIGINT. Restarting
// on the same data dir continues where it stopped.

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "api/ecs/credentials.h"
#include "api/ecs/ecs_endpoint.h"
#include "api/ecs/ecs_handler.h"
#include "api/ecs/event_stream.h"
#include "api/fleet/agent_backend.h"
#include "api/fleet/fleet_cache.h"
#include "api/fleet/instance_service.h"
#include "api/fleet/private_dir.h"
#include "api/fleet/task_log_reader.h"
#include "api/fleet/task_log_store.h"
#include "api/fleet/task_service.h"
#include "api/grpc/grpc_server.h"
#include "api/rest/rest_server.h"
#include "api/service/object_service.h"
#include "cmd/common/flags.h"
#include "cmd/gantryd/fleet_housekeeping.h"
#include "cmd/gantryd/gantryd_metrics.h"
#include "cmd/gantryd/retention.h"
#include "store/sqlite/sqlite_store.h"

namespace {

struct Flags {
  std::string data_dir = "./gantry-data";
  std::string listen = "127.0.0.1:7700";
  std::string grpc_listen = "127.0.0.1:7701";
  std::string token_file;
  std::chrono::seconds watch_retention{600};
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string aws_credentials_file;
  std::chrono::seconds heartbeat_timeout{15};
  std::chrono::seconds instance_lost_after{60};
  std::chrono::seconds task_retention{3600};
  std::chrono::seconds event_retention{3600};
};

constexpr const char* kUsage =
    "usage: gantryd [--data-dir DIR] [--listen HOST:PORT] [--grpc-listen HOST:PORT] [--token-file "
    "FILE]\n"
    "  --data-dir DIR          where the database lives (default ./gantry-data); made 0700\n"
    "  --listen HOST:PORT      REST, /healthz, /readyz (default 127.0.0.1:7700)\n"
    "  --grpc-listen HOST:PORT gRPC (default 127.0.0.1:7701)\n"
    "  --token-file FILE       bearer tokens, lines of token,user,role; required off loopback\n"
    "  --watch-retention DUR   how long watch history is kept (default 10m); older: 410 Gone\n"
    "  --region R              region in ECS ARNs (default us-east-1)\n"
    "  --account-id N          account in ECS ARNs (default 000000000000)\n"
    "  --aws-credentials-file FILE\n"
    "                          lines of ACCESS_KEY_ID,SECRET: every ECS request must be "
    "SigV4-signed\n"
    "                          with one (without it, loopback ECS requests need no signature)\n"
    "  --heartbeat-timeout DUR agent silence before agentConnected=false (default 15s)\n"
    "  --instance-lost-after DUR  silence before its tasks are STOPPED (default 60s)\n"
    "  --task-retention DUR    how long STOPPED tasks stay visible (default 1h)\n"
    "  --event-retention DUR   how long Event objects are kept (default 1h)\n";

bool SplitHostPort(const std::string& s, std::string& host, int& port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = s.substr(0, colon);
  try {
    size_t used = 0;
    port = std::stoi(s.substr(colon + 1), &used);
    return used == s.size() - colon - 1 && port > 0 && port < 65536;
  } catch (...) {
    return false;
  }
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" || host == "[::1]";
}

// GET /apis/gantry.dev/v1/tasks/{id}/log[?container=NAME][&follow=true]: a task's output as
// plain text; with follow, streamed until the task has stopped. The id and NAME become path
// components of the log store, so anything but a plain name ("..", "a/b", "") is refused (400),
// as is a container the task's definition does not have.
bool TaskLogRoute(const gantry::rest::HttpRequest& r, gantry::rest::HttpResponse& out,
                  const gantry::fleet::TaskLogStore& logs, const gantry::fleet::FleetCache& cache,
                  const gantry::fleet::TaskService& tasks) {
  static const std::string kPrefix = "/apis/gantry.dev/v1/tasks/";
  static const std::string kSuffix = "/log";
  // r.path is decoded: %2e%2e and %2F arrive here as ".." and "/".
  if (r.path.size() <= kPrefix.size() + kSuffix.size() || !r.path.starts_with(kPrefix) ||
      !r.path.ends_with(kSuffix)) {
    return false;
  }
  using gantry::api::Code;
  using gantry::api::Status;
  std::string id = r.path.substr(kPrefix.size(), r.path.size() - kPrefix.size() - kSuffix.size());
  if (!gantry::fleet::SafePathComponent(id)) {
    out = gantry::rest::ErrorResponse(gantry::api::InvalidArgument(
        "task", "not a valid task id (letters, digits, '-', '_' and '.', not \".\" or \"..\")"));
    return true;
  }
  gantry::fleet::TaskPtr task = cache.Task(id);
  if (!task) {
    out = gantry::rest::ErrorResponse(Status(Code::kNotFound, "task \"" + id + "\" not found"));
    return true;
  }
  auto query = [&](const char* k) -> std::optional<std::string> {
    auto it = r.query.find(k);
    if (it == r.query.end()) return std::nullopt;
    return it->second;
  };
  std::string container = query("container").value_or("");
  if (query("container")) {
    if (!gantry::fleet::SafePathComponent(container)) {
      out = gantry::rest::ErrorResponse(gantry::api::InvalidArgument(
          "container",
          "not a valid container name (letters, digits, '-', '_' and '.', up to "
          "255 characters, not \".\" or \"..\")"));
      return true;
    }
    // The definition says which containers there are; without it (deleted since) any valid
    // name is looked up.
    if (auto names = tasks.ContainerNames(*task); names.ok()) {
      if (std::find(names->begin(), names->end(), container) == names->end()) {
        std::string list;
        for (const auto& n : *names) list += (list.empty() ? "" : ", ") + n;
        out = gantry::rest::ErrorResponse(gantry::api::InvalidArgument(
            "container",
            "task " + id + " has no container '" + container + "' (it has " + list + ")"));
        return true;
      }
    }
  }
  std::string follow = query("follow").value_or("");
  auto reader = std::make_shared<gantry::fleet::TaskLogReader>(logs, cache, id, container,
                                                               follow == "true" || follow == "1");
  out.status = 200;
  out.content_type = "text/plain; charset=utf-8";
  out.stream = [reader](std::string& chunk) {
    switch (reader->Next(chunk)) {
      case gantry::fleet::TaskLogReader::Poll::kData:
        return gantry::rest::HttpResponse::StreamPoll::kData;
      case gantry::fleet::TaskLogReader::Poll::kIdle:
        return gantry::rest::HttpResponse::StreamPoll::kIdle;
      case gantry::fleet::TaskLogReader::Poll::kEnd:
        break;
    }
    return gantry::rest::HttpResponse::StreamPoll::kEnd;
  };
  return true;
}

int Fail(const std::string& message) {
  std::cerr << "gantryd: " << message << "\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a, value;
    switch (gantry::cmd::NextFlag(args, i, a, value)) {
      case gantry::cmd::FlagResult::kHelp:
        std::cout << kUsage;
        return 0;
      case gantry::cmd::FlagResult::kMissingValue:
        return Fail(a + " needs a value (see gantryd --help)");
      case gantry::cmd::FlagResult::kFlag:
        break;
    }
    if (a == "--data-dir") {
      flags.data_dir = value;
    } else if (a == "--listen") {
      flags.listen = value;
    } else if (a == "--grpc-listen") {
      flags.grpc_listen = value;
    } else if (a == "--token-file") {
      flags.token_file = value;
    } else if (a == "--watch-retention") {
      if (!gantry::cmd::ParseSeconds(value, flags.watch_retention))
        return Fail("--watch-retention must be like 90s, 10m or 1h, got " + value);
    } else if (a == "--region") {
      flags.region = value;
    } else if (a == "--account-id") {
      flags.account_id = value;
    } else if (a == "--aws-credentials-file") {
      flags.aws_credentials_file = value;
    } else if (a == "--heartbeat-timeout" || a == "--instance-lost-after" ||
               a == "--task-retention" || a == "--event-retention") {
      auto& target = a == "--heartbeat-timeout"     ? flags.heartbeat_timeout
                     : a == "--instance-lost-after" ? flags.instance_lost_after
                     : a == "--task-retention"      ? flags.task_retention
                                                    : flags.event_retention;
      if (!gantry::cmd::ParseSeconds(value, target))
        return Fail(a + " must be like 90s, 10m or 1h, got " + value);
    } else {
      return Fail("unknown flag " + a + " (see gantryd --help)");
    }
  }

  gantry::rest::RestOptions rest;
  if (!SplitHostPort(flags.listen, rest.host, rest.port))
    return Fail("--listen must be HOST:PORT, got " + flags.listen);
  std::string grpc_host;
  int grpc_port = 0;
  if (!SplitHostPort(flags.grpc_listen, grpc_host, grpc_port)) {
    return Fail("--grpc-listen must be HOST:PORT, got " + flags.grpc_listen);
  }
  std::optional<gantry::api::Authorizer> authorizer;
  if (!flags.token_file.empty()) {
    auto loaded = gantry::api::Authorizer::FromFile(flags.token_file);
    if (!loaded.ok()) return Fail("--token-file: " + loaded.status().message());
    authorizer = std::move(*loaded);
  }
  for (const std::string* host : {&rest.host, &grpc_host}) {
    if (!authorizer && !IsLoopback(*host)) {
      return Fail("refusing to listen on " + *host +
                  " without --token-file (anyone could reach it)");
    }
  }

  std::optional<gantry::ecs::Credentials> aws_credentials;
  if (!flags.aws_credentials_file.empty()) {
    auto loaded = gantry::ecs::Credentials::FromFile(flags.aws_credentials_file);
    if (!loaded.ok()) return Fail("--aws-credentials-file: " + loaded.status().message());
    aws_credentials = std::move(*loaded);
  }

  // The database holds every secret: the data dir is 0700 (a wider one is tightened) and the
  // store creates gantry.db and its -wal/-shm files 0600.
  if (auto st = gantry::fleet::EnsurePrivateDir(flags.data_dir); !st.ok())
    return Fail("--data-dir " + st.message());

  // Before any thread starts, so only the wait below receives them.
  const sigset_t stop_signals = gantry::cmd::BlockStopSignals();

  gantry::GantrydMetrics metrics;
  gantry::store::SqliteOptions store_options;
  store_options.on_commit = [&metrics](double seconds, size_t writes) {
    metrics.ObserveCommit(seconds, writes);
  };
  auto store = gantry::store::SqliteStore::Open(flags.data_dir + "/gantry.db", store_options);
  if (!store.ok()) return Fail(store.error().message);
  gantry::api::SystemClock clock;
  gantry::api::ObjectService service(**store, clock);
  gantry::fleet::FleetCache fleet_cache(**store);
  if (auto st = fleet_cache.Start(); !st.ok()) return Fail("fleet cache: " + st.ToString());
  gantry::fleet::EcsNames ecs_names{flags.region, flags.account_id};
  gantry::fleet::TaskService tasks(service, fleet_cache, clock, ecs_names);
  gantry::fleet::InstanceService instances(
      service, fleet_cache, tasks, clock,
      {std::chrono::duration_cast<std::chrono::milliseconds>(flags.heartbeat_timeout),
       std::chrono::duration_cast<std::chrono::milliseconds>(flags.instance_lost_after)});
  // Counts left stale by a crash between a task write and its instance's recount are redone,
  // and launches a crash kept from recording their clientToken are found again. Not fatal: a
  // failure here leaves counts to the next change on each instance.
  if (auto st = tasks.Recover(); !st.ok())
    std::cerr << "gantryd: warning: recovering the fleet at start: " << st.ToString() << std::endl;
  gantry::fleet::TaskLogStore task_logs(flags.data_dir + "/logs");
  if (auto st = task_logs.Init(); !st.ok()) return Fail("task logs: " + st.ToString());
  gantry::fleet::AgentBackend agent_backend(instances, tasks, task_logs);
  gantry::ecs::EcsHandler ecs_handler(service, tasks, instances, fleet_cache, ecs_names);
  gantry::ecs::EcsEndpoint ecs_endpoint(
      ecs_handler,
      {aws_credentials ? &*aws_credentials : nullptr, authorizer ? &*authorizer : nullptr,
       IsLoopback(rest.host)},
      clock);
  gantry::ecs::EventStream event_stream(**store, service, fleet_cache, ecs_names, clock,
                                        flags.event_retention);
  if (auto st = event_stream.Start(); !st.ok()) return Fail("event stream: " + st.ToString());
  rest.own_auth_routes = [&](const gantry::rest::HttpRequest& r, gantry::rest::HttpResponse& out,
                             std::string& resource) {
    if (!ecs_endpoint.Serve(r, out)) return false;
    resource = "ecs";
    return true;
  };
  gantry::rest::RestServer* server_ptr = nullptr;
  rest.on_request = [&metrics](const std::string& verb, const std::string& resource, int code,
                               double seconds) {
    metrics.ObserveRequest(verb, resource, code, seconds);
  };
  rest.extra_routes = [&](const gantry::rest::HttpRequest& r, gantry::rest::HttpResponse& out) {
    if (TaskLogRoute(r, out, task_logs, fleet_cache, tasks)) return true;
    if (r.path != "/metrics") return false;
    out.content_type = "text/plain; version=0.0.4";
    out.body = metrics.Scrape((*store)->CurrentRevision(), (*store)->DatabaseSizeBytes(),
                              server_ptr ? server_ptr->open_watches() : 0);
    return true;
  };
  auto server = gantry::rest::RestServer::Start(rest, service, authorizer ? &*authorizer : nullptr);
  if (!server.ok()) return Fail(server.status().message());
  server_ptr = server->get();
  auto grpc_server = gantry::grpcapi::GrpcServer::Start(
      {flags.grpc_listen}, service, authorizer ? &*authorizer : nullptr, &agent_backend);
  if (!grpc_server.ok()) return Fail(grpc_server.status().message());
  std::cerr << "gantryd: serving REST on " << flags.listen << " and gRPC on " << flags.grpc_listen
            << (authorizer ? " with bearer-token auth" : "") << " (data in " << flags.data_dir
            << ", revision " << (*store)->CurrentRevision() << ")" << std::endl;

  gantry::RetentionCompactor retention(**store, flags.watch_retention);
  auto housekeeping = std::make_unique<gantry::FleetHousekeeping>(instances, tasks, task_logs,
                                                                  clock, flags.task_retention);

  std::cerr << "gantryd: " << gantry::cmd::WaitForStopSignal(stop_signals) << ", shutting down"
            << std::endl;
  housekeeping.reset();
  (*grpc_server)->Stop();
  (*server)->Stop();
  event_stream.Stop();
  fleet_cache.Stop();
  grpc_server->reset();
  server->reset();
  store->reset();
  std::cerr << "gantryd: stopped" << std::endl;
  return 0;
}
