// gantryd: the control plane in one process.
//
//   gantryd [--data-dir DIR] [--listen HOST:PORT] [--grpc-listen HOST:PORT] [--token-file FILE]
//           [--aws-credentials-file FILE] [--tls-cert-file F --tls-key-file F [--client-ca-file F]]
//           [--insecure-allow-plaintext] [--region R] [--account-id N] [--heartbeat-timeout D]
//           [--instance-lost-after D] [--task-retention D] [--event-retention D] ...
//
// Security (docs/security.md): once any of --token-file, --aws-credentials-file or
// --client-ca-file is given, every route but /healthz and /readyz authenticates. Without any,
// gantryd listens on loopback addresses only. Off loopback it also needs TLS, unless
// --insecure-allow-plaintext says the network is someone else's problem.
//
// Opens (or creates) DIR/gantry.db (DIR 0700, the database files 0600), serves the REST API,
// the ECS-compatible endpoint (POST /), /metrics, /healthz and /readyz on --listen, the object
// and agent gRPC services on --grpc-listen, and stops cleanly on SIGTERM or SIGINT. Restarting
// on the same data dir continues where it stopped.

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "api/blox/blox_handler.h"
#include "api/ecs/credentials.h"
#include "api/ecs/ecs_endpoint.h"
#include "api/ecs/ecs_handler.h"
#include "api/fleet/agent_backend.h"
#include "api/fleet/agent_read_scope.h"
#include "api/fleet/fleet_view.h"
#include "api/fleet/instance_service.h"
#include "api/fleet/launch_proto.h"
#include "api/fleet/private_dir.h"
#include "api/fleet/task_log_store.h"
#include "api/fleet/task_service.h"
#include "api/grpc/grpc_server.h"
#include "api/rest/metrics_route.h"
#include "api/rest/rest_server.h"
#include "api/rest/service_plan_route.h"
#include "api/rest/task_log_route.h"
#include "api/service/local_client.h"
#include "api/service/object_service.h"
#include "cmd/common/flags.h"
#include "cmd/gantryd/client_token_collector.h"
#include "cmd/gantryd/ecs_event_stream.h"
#include "cmd/gantryd/fleet_observations.h"
#include "cmd/gantryd/gantryd_metrics.h"
#include "cmd/gantryd/memory_release.h"
#include "controllers/cluster/cluster_controller.h"
#include "controllers/environment/environment_controller.h"
#include "controllers/events/event_stream_controller.h"
#include "controllers/gc/garbage_collector.h"
#include "controllers/instance/instance_controller.h"
#include "controllers/runtime/manager.h"
#include "controllers/service/service_controller.h"
#include "controllers/sync/sync_controller.h"
#include "store/compactor.h"
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
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string client_ca_file;
  bool insecure_allow_plaintext = false;
  size_t max_connections = 0;  // 0: from the open-file limit
  size_t max_streams = 10000;
  size_t max_streams_per_user = 500;
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
    "                          lines of ACCESS_KEY_ID,SECRET[,ROLE] (role admin, editor or\n"
    "                          viewer; default editor): SigV4 keys for the ECS endpoint\n"
    "  --tls-cert-file FILE    PEM certificate chain: serve REST, ECS and gRPC over TLS\n"
    "  --tls-key-file FILE     its PEM private key\n"
    "  --client-ca-file FILE   verify client certificates against these CAs; a verified\n"
    "                          certificate authenticates as CN with the role its O names\n"
    "  --insecure-allow-plaintext\n"
    "                          allow listening off loopback without TLS\n"
    "  --max-connections N     REST connections at once (default: from the open-file limit)\n"
    "  --max-streams N         open watches and followed logs in all (default 10000)\n"
    "  --max-streams-per-user N  ... per authenticated user (default 500)\n"
    "  --heartbeat-timeout DUR agent silence before agentConnected=false (default 15s)\n"
    "  --instance-lost-after DUR  silence before its tasks are STOPPED (default 60s)\n"
    "  --task-retention DUR    how long STOPPED tasks stay visible (default 1h)\n"
    "  --event-retention DUR   how long Event objects are kept (default 1h)\n";

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::stringstream text;
  text << f.rdbuf();
  out = text.str();
  return true;
}

bool ParseCount(const std::string& text, size_t& out) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  out = std::stoul(text);
  return out > 0;
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
    if (args[i] == "--insecure-allow-plaintext") {  // a switch: no value
      flags.insecure_allow_plaintext = true;
      continue;
    }
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
    } else if (a == "--tls-cert-file") {
      flags.tls_cert_file = value;
    } else if (a == "--tls-key-file") {
      flags.tls_key_file = value;
    } else if (a == "--client-ca-file") {
      flags.client_ca_file = value;
    } else if (a == "--max-connections" || a == "--max-streams" || a == "--max-streams-per-user") {
      size_t& target = a == "--max-connections" ? flags.max_connections
                       : a == "--max-streams"   ? flags.max_streams
                                                : flags.max_streams_per_user;
      if (!ParseCount(value, target)) return Fail(a + " must be a positive number, got " + value);
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
  if (!gantry::cmd::SplitHostPort(flags.listen, rest.host, rest.port, true))
    return Fail("--listen must be HOST:PORT, got " + flags.listen);
  std::string grpc_host;
  int grpc_port = 0;
  if (!gantry::cmd::SplitHostPort(flags.grpc_listen, grpc_host, grpc_port, true)) {
    return Fail("--grpc-listen must be HOST:PORT, got " + flags.grpc_listen);
  }

  // Authentication: on as soon as any way to authenticate is configured.
  std::optional<gantry::api::Authorizer> authorizer;
  if (!flags.token_file.empty()) {
    auto loaded = gantry::api::Authorizer::FromFile(flags.token_file);
    if (!loaded.ok()) return Fail("--token-file: " + loaded.status().message());
    authorizer = std::move(*loaded);
  }
  std::optional<gantry::ecs::Credentials> aws_credentials;
  if (!flags.aws_credentials_file.empty()) {
    auto loaded = gantry::ecs::Credentials::FromFile(flags.aws_credentials_file);
    if (!loaded.ok()) return Fail("--aws-credentials-file: " + loaded.status().message());
    aws_credentials = std::move(*loaded);
  }
  const bool tls = !flags.tls_cert_file.empty() || !flags.tls_key_file.empty();
  if (tls && (flags.tls_cert_file.empty() || flags.tls_key_file.empty()))
    return Fail("--tls-cert-file and --tls-key-file go together");
  if (!flags.client_ca_file.empty()) {
    if (!tls) return Fail("--client-ca-file needs --tls-cert-file and --tls-key-file");
    if (!authorizer) authorizer.emplace();
    authorizer->TrustClientCertificates();
  }
  if (aws_credentials && !authorizer) authorizer.emplace();  // refuses every bearer token
  for (const std::string* host : {&rest.host, &grpc_host}) {
    if (gantry::cmd::IsLoopbackHost(*host)) continue;
    if (!authorizer) {
      return Fail("refusing to listen on " + *host +
                  " without authentication (--token-file, --aws-credentials-file or "
                  "--client-ca-file): anyone who can reach it could run commands");
    }
    if (!tls && !flags.insecure_allow_plaintext) {
      return Fail("refusing to listen on " + *host +
                  " without TLS (--tls-cert-file, --tls-key-file): tokens and signed requests "
                  "would cross the network in clear text; --insecure-allow-plaintext overrides");
    }
  }
  std::optional<gantry::grpcapi::GrpcTls> grpc_tls;
  if (tls) {
    rest.tls =
        gantry::rest::TlsFiles{flags.tls_cert_file, flags.tls_key_file, flags.client_ca_file};
    grpc_tls.emplace();
    if (!ReadFile(flags.tls_cert_file, grpc_tls->cert_pem))
      return Fail("--tls-cert-file " + flags.tls_cert_file + ": cannot read it");
    if (!ReadFile(flags.tls_key_file, grpc_tls->key_pem))
      return Fail("--tls-key-file " + flags.tls_key_file + ": cannot read it");
    if (!flags.client_ca_file.empty() && !ReadFile(flags.client_ca_file, grpc_tls->client_ca_pem))
      return Fail("--client-ca-file " + flags.client_ca_file + ": cannot read it");
  }
  const size_t open_files = gantry::cmd::RaiseOpenFileLimit();
  rest.max_connections = flags.max_connections != 0 ? flags.max_connections
                                                    : gantry::rest::ConnectionCapFor(open_files);
  gantry::api::StreamLimiter streams(flags.max_streams, flags.max_streams_per_user);
  rest.streams = &streams;

  // The database holds every secret: the data dir is 0700 (a wider one is tightened) and the
  // store creates gantry.db and its -wal/-shm files 0600.
  if (auto st = gantry::fleet::EnsurePrivateDir(flags.data_dir); !st.ok())
    return Fail("--data-dir " + st.message());

  // Before any thread starts, so only the wait below receives them.
  const sigset_t stop_signals = gantry::cmd::BlockStopSignals();

  // One registry for the process: gantryd's own metrics now, each controller's through the
  // factory as controllers arrive; /metrics serves it whole.
  gantry::MetricsRegistry metrics_registry;
  gantry::GantrydMetrics metrics(metrics_registry);
  gantry::ControllerMetricsFactory controller_metrics(metrics_registry);
  gantry::store::SqliteOptions store_options;
  store_options.on_commit = [&metrics](double seconds, size_t writes) {
    metrics.ObserveCommit(seconds, writes);
  };
  auto store = gantry::store::SqliteStore::Open(flags.data_dir + "/gantry.db", store_options);
  if (!store.ok()) return Fail(store.error().message);
  gantry::api::SystemClock clock;
  gantry::api::ObjectService service(**store, clock);
  // One informer per kind for the whole process, on the in-process client: the services read
  // the fleet from them and the controllers reconcile from them. They fill from the store when
  // the manager starts, before anything is served.
  // Controllers launch through the TaskService, which reads the informers the client feeds: the
  // client is made first and reaches the service once it exists.
  gantry::fleet::TaskService* launch_through = nullptr;
  auto launch = [&launch_through](const gantry::v1::LaunchRequest& request)
      -> gantry::api::StatusOr<gantry::v1::LaunchResponse> {
    return gantry::fleet::LaunchThrough(*launch_through, request);
  };
  gantry::api::LocalClient controller_client(service, launch);
  gantry::controllers::runtime::Manager controllers(controller_client, clock);
  gantry::fleet::FleetView fleet(controllers.informers());
  gantry::fleet::EcsNames ecs_names{flags.region, flags.account_id};
  gantry::fleet::TaskService tasks(service, fleet, clock, ecs_names);
  launch_through = &tasks;
  // The cluster and scheduling series: placements as the launcher decides them, rollbacks and
  // events as the informers see them, the rest read from the informers at each scrape.
  gantry::FleetMetrics fleet_metrics(metrics_registry);
  tasks.SetPlacementObserver(&fleet_metrics);
  gantry::CountFleetChanges(
      controllers.informers(),
      {[&fleet_metrics](const std::string& kind, int n) { fleet_metrics.CountRollbacks(kind, n); },
       [&fleet_metrics](const std::string& type, const std::string& reason, int64_t n) {
         fleet_metrics.CountEvents(type, reason, n);
       }});
  gantry::fleet::InstanceService instances(service, fleet, tasks, clock);
  gantry::fleet::TaskLogStore task_logs(flags.data_dir + "/logs");
  if (auto st = task_logs.Init(); !st.ok()) return Fail("task logs: " + st.ToString());
  gantry::fleet::AgentBackend agent_backend(instances, tasks, task_logs);
  gantry::ecs::EcsHandler ecs_handler(service, tasks, instances, fleet, ecs_names);
  gantry::ecs::EcsEndpoint ecs_endpoint(
      ecs_handler,
      {aws_credentials ? &*aws_credentials : nullptr, authorizer ? &*authorizer : nullptr}, clock);
  gantry::fleet::AgentReadScope agent_read_scope(fleet);
  rest.read_scope = &agent_read_scope;
  // The controllers: their queues and reconciles show on /metrics.
  auto options_for = [&](const char* name) {
    gantry::controllers::runtime::ControllerOptions options;
    options.name = name;
    options.queue_metrics = controller_metrics.ForQueue(name);
    options.metrics = controller_metrics.ForController(name);
    return options;
  };
  gantry::controllers::cluster::ClusterController cluster_controller(
      controller_client, clock, controllers.informers(),
      options_for(gantry::controllers::cluster::ClusterController::kName));
  controllers.Add(cluster_controller.controller());
  gantry::controllers::gc::Retention retention;
  retention.stopped_tasks = flags.task_retention;
  retention.events = flags.event_retention;
  retention.on_task_collected = [&task_logs](const std::string& task) { task_logs.Remove(task); };
  gantry::controllers::gc::GarbageCollector garbage_collector(
      controller_client, clock, controllers.informers(), std::move(retention),
      options_for(gantry::controllers::gc::GarbageCollector::kName));
  controllers.Add(garbage_collector.controller());
  gantry::controllers::instance::InstanceController instance_controller(
      controller_client, clock, instances, controllers.informers(),
      {std::chrono::duration_cast<std::chrono::milliseconds>(flags.heartbeat_timeout),
       std::chrono::duration_cast<std::chrono::milliseconds>(flags.instance_lost_after)},
      options_for(gantry::controllers::instance::InstanceController::kName));
  controllers.Add(instance_controller.controller());
  // Replica Services: desiredCount tasks kept, new revisions rolled within the bounds. Four
  // workers: services reconcile independently (a key is never on two at once), so fifty that
  // change together do not queue behind each other's writes; the launcher serialises only the
  // placements of one cluster.
  auto service_options = options_for(gantry::controllers::service::ServiceController::kName);
  service_options.workers = 4;
  gantry::controllers::service::ServiceController service_controller(
      controller_client, clock, controllers.informers(), std::move(service_options));
  controllers.Add(service_controller.controller());
  // Daemon Environments: one task of the revision on every instance of the group.
  gantry::controllers::environment::EnvironmentController environment_controller(
      controller_client, clock, controllers.informers(),
      options_for(gantry::controllers::environment::EnvironmentController::kName));
  controllers.Add(environment_controller.controller());
  // Syncs: the cluster kept equal to a directory of a Git repository (fetched into the data
  // directory, the owner's only).
  // Two workers: one slow fetch (a far repository) does not hold every other Sync back.
  gantry::controllers::sync::GitSource git_source(flags.data_dir + "/git");
  auto sync_options = options_for(gantry::controllers::sync::SyncController::kName);
  sync_options.workers = 2;
  gantry::controllers::sync::SyncController sync_controller(
      controller_client, clock, controllers.informers(), git_source, std::move(sync_options));
  controllers.Add(sync_controller.controller());
  // Every task and instance change as an ECS event; each kind's cursor in the store.
  gantry::EcsChangeRenderer ecs_renderer(ecs_names, clock);
  gantry::StoreEventCursors event_cursors(**store);
  auto event_stream = gantry::controllers::events::EventStreamController::Create(
      controller_client, clock, ecs_renderer, event_cursors, controllers.informers(),
      options_for(gantry::controllers::events::EventStreamController::kName));
  if (!event_stream.ok()) return Fail("event stream: " + event_stream.status().ToString());
  controllers.Add((*event_stream)->controller());
  // The informers call into the controllers: on every way out, they stop before those go.
  struct StopControllers {
    gantry::controllers::runtime::Manager& manager;
    ~StopControllers() { manager.Stop(); }
  } stop_controllers{controllers};
  if (auto st = controllers.Start(std::chrono::seconds(60)); !st.ok())
    return Fail("controllers: " + st.ToString());
  // Counts left stale by a crash between a task write and its instance's recount are redone,
  // and launches a crash kept from recording their clientToken are found again. Not fatal: a
  // failure here leaves counts to the next change on each instance.
  if (auto st = tasks.Recover(); !st.ok())
    std::cerr << "gantryd: warning: recovering the fleet at start: " << st.ToString() << std::endl;
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
  // Blox's daemon scheduler API (/v1/...) over the same Environments.
  const gantry::blox::BloxHandler blox(service, ecs_names);
  rest.extra_routes = [&](const gantry::rest::HttpRequest& r, const gantry::api::Principal* who,
                          gantry::rest::HttpResponse& out) {
    if (gantry::rest::TaskLogRoute(r, who, out, task_logs, fleet, tasks)) return true;
    if (r.method == "GET" && r.path == "/version") {  // gantryctl version
      out.status = 200;
      out.content_type = "application/json";
      out.body = "{\"gantryd\":\"" GANTRY_VERSION "\"}\n";
      return true;
    }
    if (auto blox_answer = blox.Handle(r.method, r.path, r.raw_query, r.body)) {
      out.status = blox_answer->status;
      out.content_type = blox_answer->content_type;
      out.body = std::move(blox_answer->body);
      return true;
    }
    if (gantry::rest::ServicePlanRoute(r, out, service, [&](const gantry::v1::Service& s) {
          return service_controller.Preview(s);
        }))
      return true;
    return gantry::rest::MetricsRoute(r, out, [&] {
      metrics.Refresh((*store)->CurrentRevision(), (*store)->DatabaseSizeBytes(),
                      server_ptr ? server_ptr->open_watches() : 0);
      fleet_metrics.Refresh(gantry::ReadFleetGauges(controllers.informers()));
      return metrics_registry.Scrape();
    });
  };
  auto server = gantry::rest::RestServer::Start(rest, service, authorizer ? &*authorizer : nullptr);
  if (!server.ok()) return Fail(server.status().message());
  server_ptr = server->get();
  gantry::grpcapi::GrpcOptions grpc_options;
  grpc_options.address = flags.grpc_listen;
  grpc_options.tls = grpc_tls;
  grpc_options.streams = &streams;
  grpc_options.read_scope = &agent_read_scope;
  grpc_options.launch = launch;
  auto grpc_server = gantry::grpcapi::GrpcServer::Start(
      grpc_options, service, authorizer ? &*authorizer : nullptr, &agent_backend);
  if (!grpc_server.ok()) return Fail(grpc_server.status().message());
  std::cerr << "gantryd: serving REST on " << rest.host << ":" << (*server)->port()
            << " and gRPC on " << grpc_host << ":" << (*grpc_server)->port()
            << (tls ? " over TLS" : "") << (authorizer ? " with authentication" : "")
            << " (data in " << flags.data_dir << ", revision " << (*store)->CurrentRevision()
            << ", up to " << rest.max_connections << " connections)" << std::endl;

  gantry::store::RetentionCompactor compactor(**store, flags.watch_retention);
  gantry::MemoryRelease memory_release;
  auto token_collector = std::make_unique<gantry::ClientTokenCollector>(tasks);

  std::cerr << "gantryd: " << gantry::cmd::WaitForStopSignal(stop_signals) << ", shutting down"
            << std::endl;
  token_collector.reset();
  (*grpc_server)->Stop();
  (*server)->Stop();
  controllers.Stop();
  if (auto st = (*event_stream)->SaveCursors(); !st.ok())
    std::cerr << "gantryd: warning: saving the event stream's cursors: " << st.ToString()
              << std::endl;
  grpc_server->reset();
  server->reset();
  store->reset();
  std::cerr << "gantryd: stopped" << std::endl;
  return 0;
}
