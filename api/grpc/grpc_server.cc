// The only file that includes grpcpp.
#include "api/grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "api/grpc/object_oneof.h"
#include "api/schema/kinds.h"
#include "api/service/peer_certificate.h"
#include "gantry/v1/services.grpc.pb.h"

namespace gantry::grpcapi {
namespace {

using google::protobuf::Message;

grpc::Status ToGrpc(const api::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(s.code())), s.ToString());
}

const std::string& NameOf(const Message& m) { return schema::MetaOf(m).name(); }

std::string AuthorizationHeader(const grpc::CallbackServerContext& ctx) {
  auto it = ctx.client_metadata().find("authorization");
  if (it == ctx.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// The verified client certificate, when TLS with a client CA is on and the client sent one.
std::optional<api::PeerCertificate> PeerOf(const grpc::CallbackServerContext& ctx) {
  auto auth = ctx.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return std::nullopt;
  auto pem = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pem.empty()) return std::nullopt;
  auto peer = api::PeerCertificateFromPem(std::string_view(pem.front().data(), pem.front().size()));
  if (!peer.ok()) return std::nullopt;
  return *peer;
}

// nullopt when authentication is off.
api::StatusOr<std::optional<api::Principal>> Authenticate(const api::Authorizer* authorizer,
                                                          const grpc::CallbackServerContext& ctx) {
  if (!authorizer) return std::optional<api::Principal>();
  auto peer = PeerOf(ctx);
  auto who = authorizer->Authenticate(AuthorizationHeader(ctx), peer ? &*peer : nullptr);
  if (!who.ok()) return who.status();
  return std::optional<api::Principal>(std::move(*who));
}

api::StatusOr<const schema::KindInfo*> Resolve(const std::string& name) {
  const schema::KindInfo* k = schema::FindKind(name);
  if (!k) k = schema::ResolveKind(name);
  if (!k) return api::InvalidArgument("kind", "unknown kind '" + name + "'");
  return k;
}

}  // namespace

// gantry.v1.Agent: registration, heartbeats, task reports and output, for agents (and admins).
class AgentService final : public v1::Agent::CallbackService {
 public:
  AgentService(fleet::AgentBackend& backend, const api::Authorizer* authorizer)
      : backend_(backend), authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* RegisterInstances(grpc::CallbackServerContext* ctx,
                                              const v1::RegisterInstancesRequest* req,
                                              v1::RegisterInstancesResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    auto agent_user = Admit(ctx);
    if (!agent_user.ok()) return Finish(reactor, agent_user.status());
    auto registered = backend_.Register(*req, *agent_user);
    if (!registered.ok()) return Finish(reactor, registered.status());
    *resp = std::move(*registered);
    return Finish(reactor, {});
  }
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* ctx,
                                      const v1::HeartbeatRequest* req,
                                      v1::HeartbeatResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    auto agent_user = Admit(ctx);
    if (!agent_user.ok()) return Finish(reactor, agent_user.status());
    auto answered = backend_.Heartbeat(*req, *agent_user);
    if (!answered.ok()) return Finish(reactor, answered.status());
    *resp = std::move(*answered);
    return Finish(reactor, {});
  }
  grpc::ServerUnaryReactor* ReportTaskStates(grpc::CallbackServerContext* ctx,
                                             const v1::ReportTaskStatesRequest* req,
                                             v1::ReportTaskStatesResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    auto agent_user = Admit(ctx);
    if (!agent_user.ok()) return Finish(reactor, agent_user.status());
    auto answered = backend_.Report(*req, *agent_user);
    if (!answered.ok()) return Finish(reactor, answered.status());
    *resp = std::move(*answered);
    return Finish(reactor, {});
  }
  grpc::ServerUnaryReactor* AppendTaskLogs(grpc::CallbackServerContext* ctx,
                                           const v1::AppendTaskLogsRequest* req,
                                           v1::AppendTaskLogsResponse*) override {
    auto* reactor = ctx->DefaultReactor();
    auto agent_user = Admit(ctx);
    if (!agent_user.ok()) return Finish(reactor, agent_user.status());
    return Finish(reactor, backend_.AppendLogs(*req, *agent_user));
  }

 private:
  static grpc::ServerUnaryReactor* Finish(grpc::ServerUnaryReactor* reactor,
                                          const api::Status& st) {
    reactor->Finish(ToGrpc(st));
    return reactor;
  }
  // Agents write container instances and task status: the agent role (for its own instances:
  // the user is returned), or admin/editor (for any: "" is returned).
  api::StatusOr<std::string> Admit(grpc::CallbackServerContext* ctx) {
    auto who = Authenticate(authorizer_, *ctx);
    if (!who.ok()) return who.status();
    if (!who->has_value()) return std::string();
    const api::Principal& p = **who;
    if (p.role == api::Role::kViewer) {
      return api::Status(api::Code::kPermissionDenied,
                         "user \"" + p.user + "\" (viewer) may not act as an agent");
    }
    return p.role == api::Role::kAgent ? p.user : std::string();
  }

  fleet::AgentBackend& backend_;
  const api::Authorizer* authorizer_;
};

// gantry.v1.Launcher: tasks placed through gantryd's one placement committer, for API clients
// and controllers outside gantryd. Whoever may write tasks (admins, editors); agents report what
// they run and launch nothing.
class LauncherService final : public v1::Launcher::CallbackService {
 public:
  LauncherService(decltype(GrpcOptions::launch) launch, const api::Authorizer* authorizer)
      : launch_(std::move(launch)), authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* Launch(grpc::CallbackServerContext* ctx, const v1::LaunchRequest* req,
                                   v1::LaunchResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    auto who = Authenticate(authorizer_, *ctx);
    if (!who.ok()) return Finish(reactor, who.status());
    if (who->has_value()) {
      if (auto st = authorizer_->Authorize(**who, {api::Access::kWrite, "tasks", ""}); !st.ok())
        return Finish(reactor, st);
    }
    auto launched = launch_(*req);
    if (!launched.ok()) return Finish(reactor, launched.status());
    *resp = std::move(*launched);
    return Finish(reactor, {});
  }

 private:
  static grpc::ServerUnaryReactor* Finish(grpc::ServerUnaryReactor* reactor,
                                          const api::Status& st) {
    reactor->Finish(ToGrpc(st));
    return reactor;
  }

  const decltype(GrpcOptions::launch) launch_;
  const api::Authorizer* authorizer_;
};

class GrpcServer::Impl final : public v1::Objects::CallbackService {
 public:
  Impl(const GrpcOptions& options, api::ObjectService& service, const api::Authorizer* authorizer,
       fleet::AgentBackend* agents)
      : options_(options), service_(service), authorizer_(authorizer) {
    if (agents) agent_service_ = std::make_unique<AgentService>(*agents, authorizer);
    if (options.launch)
      launcher_service_ = std::make_unique<LauncherService>(options.launch, authorizer);
    if (options_.streams) {
      limiter_ = options_.streams;
    } else {
      own_limiter_ = std::make_unique<api::StreamLimiter>(1000, 1000);
      limiter_ = own_limiter_.get();
    }
  }

  api::Status Open(const GrpcOptions& options) {
    grpc::ServerBuilder builder;
    std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
    if (options.tls) {
      grpc::SslServerCredentialsOptions ssl(options.tls->client_ca_pem.empty()
                                                ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                                : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
      ssl.pem_root_certs = options.tls->client_ca_pem;
      ssl.pem_key_cert_pairs.push_back({options.tls->key_pem, options.tls->cert_pem});
      credentials = grpc::SslServerCredentials(ssl);
    }
    builder.AddListeningPort(options.address, credentials, &port_);
    // Agents batch: a simulated fleet registers hundreds of instances per call, and output
    // comes in batches of up to 1 MiB.
    builder.SetMaxReceiveMessageSize(16 << 20);
    builder.RegisterService(this);
    if (agent_service_) builder.RegisterService(agent_service_.get());
    if (launcher_service_) builder.RegisterService(launcher_service_.get());
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) {
      return api::Status(api::Code::kUnavailable, "cannot listen for gRPC on " + options.address);
    }
    return {};
  }

  void Stop() {
    if (stopping_.exchange(true)) return;
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    // Watch threads end once their stream is cancelled and finished.
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [&] { return open_watches_ == 0; });
  }

  int port() const { return port_; }

  // ---- unary calls: admit, call the service layer, translate ----

  grpc::ServerUnaryReactor* Apply(grpc::CallbackServerContext* ctx, const v1::ApplyRequest* req,
                                  v1::ApplyResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    const Message* object = nullptr;
    auto kind = KindOf(req->object(), &object);
    if (!kind.ok()) return Finish(reactor, kind.status());
    if (auto who = Admit(ctx, api::Access::kWrite, (*kind)->plural, NameOf(*object)); !who.ok())
      return Finish(reactor, who.status());
    std::unique_ptr<Message> copy(object->New());
    copy->CopyFrom(*object);
    schema::SetTypeMeta(*copy, **kind);
    const schema::FieldSet fields(req->fields().begin(), req->fields().end());
    auto applied = service_.Apply(*copy, {.dry_run = req->dry_run(),
                                          .field_manager = req->field_manager(),
                                          .server_side = req->server_side(),
                                          .applied_fields = fields.empty() ? nullptr : &fields,
                                          .force_conflicts = req->force()});
    if (!applied.ok()) return Finish(reactor, applied.status());
    Wrap(*applied->object, resp->mutable_object());
    resp->set_outcome(api::OutcomeName(applied->outcome));
    return Finish(reactor, {});
  }

  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const v1::GetRequest* req,
                                v1::Object* resp) override {
    auto* reactor = ctx->DefaultReactor();
    auto kind = Resolve(req->kind());
    if (!kind.ok()) return Finish(reactor, kind.status());
    auto who = Admit(ctx, api::Access::kRead, (*kind)->plural, req->name());
    if (!who.ok()) return Finish(reactor, who.status());
    auto object = service_.Get(**kind, req->name());
    if (!object.ok()) return Finish(reactor, object.status());
    if (auto filter = FilterFor(*who, **kind); filter && !filter(**object)) {
      return Finish(reactor, api::Status(api::Code::kPermissionDenied,
                                         (*kind)->singular + " \"" + req->name() +
                                             "\" is not yours to read"));
    }
    Wrap(**object, resp);
    return Finish(reactor, {});
  }

  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* ctx, const v1::ListRequest* req,
                                 v1::ListResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    auto kind = Resolve(req->kind());
    if (!kind.ok()) return Finish(reactor, kind.status());
    auto who = Admit(ctx, api::Access::kRead, (*kind)->plural, "");
    if (!who.ok()) return Finish(reactor, who.status());
    auto selector = api::LabelSelector::Parse(req->label_selector());
    if (!selector.ok()) return Finish(reactor, selector.status());
    if (req->limit() < 0)
      return Finish(reactor, api::InvalidArgument("limit", "must not be negative"));
    // One message per page: an unbounded list would be built whole in memory (and exceed the
    // clients' receive limit), so at most max_page objects and a continue token.
    size_t limit = static_cast<size_t>(req->limit());
    if (limit == 0 || limit > options_.max_page) limit = options_.max_page;
    auto list = service_.List(**kind, *selector, limit, req->continue_token());
    if (!list.ok()) return Finish(reactor, list.status());
    auto filter = FilterFor(*who, **kind);
    for (const auto& item : list->items)
      if (!filter || filter(*item)) Wrap(*item, resp->add_items());
    resp->set_resource_version(std::to_string(list->revision));
    resp->set_continue_token(list->continue_token);
    return Finish(reactor, {});
  }

  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const v1::DeleteRequest* req,
                                   v1::Object* resp) override {
    auto* reactor = ctx->DefaultReactor();
    auto kind = Resolve(req->kind());
    if (!kind.ok()) return Finish(reactor, kind.status());
    if (auto who = Admit(ctx, api::Access::kWrite, (*kind)->plural, req->name()); !who.ok())
      return Finish(reactor, who.status());
    auto deleted =
        service_.Delete(**kind, req->name(), req->resource_version(), {.dry_run = req->dry_run()});
    if (!deleted.ok()) return Finish(reactor, deleted.status());
    Wrap(**deleted, resp);
    return Finish(reactor, {});
  }

  grpc::ServerUnaryReactor* Create(grpc::CallbackServerContext* ctx, const v1::CreateRequest* req,
                                   v1::Object* resp) override {
    auto* reactor = ctx->DefaultReactor();
    auto object = AdmitWrite(ctx, req->object());
    if (!object.ok()) return Finish(reactor, object.status());
    auto created = service_.Create(**object);
    if (!created.ok()) return Finish(reactor, created.status());
    Wrap(**created, resp);
    return Finish(reactor, {});
  }

  grpc::ServerUnaryReactor* UpdateStatus(grpc::CallbackServerContext* ctx,
                                         const v1::UpdateStatusRequest* req,
                                         v1::Object* resp) override {
    auto* reactor = ctx->DefaultReactor();
    auto object = AdmitWrite(ctx, req->object());
    if (!object.ok()) return Finish(reactor, object.status());
    auto updated = service_.UpdateStatus(**object);
    if (!updated.ok()) return Finish(reactor, updated.status());
    Wrap(**updated, resp);
    return Finish(reactor, {});
  }

  grpc::ServerUnaryReactor* Commit(grpc::CallbackServerContext* ctx, const v1::CommitRequest* req,
                                   v1::CommitResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    // Every write is admitted before any is made: one refused write refuses the commit.
    std::vector<std::unique_ptr<Message>> objects;
    std::vector<api::ObjectWrite> writes;
    objects.reserve(req->writes_size());
    for (int i = 0; i < req->writes_size(); ++i) {
      const v1::CommitWrite& w = req->writes(i);
      const std::string at = "writes[" + std::to_string(i) + "]";
      auto object = AdmitWrite(ctx, w.object());
      if (!object.ok()) {
        const api::Status& st = object.status();
        return Finish(reactor, api::Status(st.code(), st.message(),
                                           st.field().empty() ? at : at + "." + st.field()));
      }
      objects.push_back(std::move(*object));
      const Message& m = *objects.back();
      if (w.type() == "create") {
        writes.push_back(api::ObjectWrite::Create(m));
      } else if (w.type() == "updateStatus") {
        writes.push_back(api::ObjectWrite::UpdateStatus(m));
      } else if (w.type() == "delete") {
        writes.push_back(api::ObjectWrite::Delete(m));
      } else {
        return Finish(reactor, api::InvalidArgument(at + ".type",
                                                    "must be create, updateStatus or delete, "
                                                    "got '" +
                                                        w.type() + "'"));
      }
    }
    auto committed = service_.Commit(writes);
    if (!committed.ok()) return Finish(reactor, committed.status());
    for (const auto& o : committed->objects) Wrap(*o, resp->add_objects());
    return Finish(reactor, {});
  }

  // ---- Watch: no thread; the store watch's notification drives the writes ----

  class WatchReactor : public grpc::ServerWriteReactor<v1::WatchEvent> {
   public:
    WatchReactor(Impl& impl, std::unique_ptr<api::ObjectWatch> watch, api::StreamLimiter::Slot slot)
        : impl_(impl), watch_(std::move(watch)), slot_(std::move(slot)) {
      {
        std::lock_guard lock(impl_.mu_);
        ++impl_.open_watches_;
      }
      // The notification may come after this reactor is gone; it finds it through `state_`,
      // which OnDone empties.
      state_ = std::make_shared<State>();
      state_->reactor = this;
      std::weak_ptr<State> weak = state_;
      watch_->SetNotify([weak] {
        auto state = weak.lock();
        if (!state) return;
        std::lock_guard lock(state->mu);
        if (state->reactor) state->reactor->Pump();
      });
    }

    void OnWriteDone(bool ok) override {
      std::lock_guard lock(state_->mu);
      writing_ = false;
      if (!ok) return End(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      if (finish_after_write_) return End(final_status_);
      Pump();
    }
    void OnCancel() override {
      std::lock_guard lock(state_->mu);
      End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
    }
    void OnDone() override {
      {
        std::lock_guard lock(state_->mu);
        state_->reactor = nullptr;
      }
      watch_->SetNotify(nullptr);
      watch_->Cancel();
      slot_ = {};
      {
        std::lock_guard lock(impl_.mu_);
        --impl_.open_watches_;
      }
      impl_.cv_.notify_all();
      delete this;
    }

   private:
    struct State {
      // Recursive: gRPC may run a reaction inline from StartWrite or Finish.
      std::recursive_mutex mu;
      WatchReactor* reactor = nullptr;
    };

    // With state_->mu held: the next event, if there is one and no write is in flight.
    void Pump() {
      if (writing_ || finished_) return;
      if (impl_.stopping_) return End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stopping"));
      api::ObjectEvent e;
      switch (watch_->Next(e, std::chrono::milliseconds(0))) {
        case api::ObjectWatch::Poll::kTimeout:
          return;
        case api::ObjectWatch::Poll::kClosed:
          return End(grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                                  "watch closed: " + watch_->closed_reason()));
        case api::ObjectWatch::Poll::kEvent:
          break;
      }
      event_.Clear();
      event_.set_type(api::EventTypeName(e.type));
      Wrap(*e.object, event_.mutable_object());
      event_.set_resource_version(schema::MetaOf(*e.object).resource_version());
      writing_ = true;
      StartWrite(&event_);
    }

    // With state_->mu held: finishes once, after the write in flight.
    void End(const grpc::Status& status) {
      if (finished_) return;
      if (writing_) {
        if (!finish_after_write_) {
          finish_after_write_ = true;
          final_status_ = status;
        }
        return;
      }
      finished_ = true;
      Finish(status);  // OnDone follows
    }

    Impl& impl_;
    std::unique_ptr<api::ObjectWatch> watch_;
    api::StreamLimiter::Slot slot_;
    std::shared_ptr<State> state_;
    v1::WatchEvent event_;
    bool writing_ = false;
    bool finished_ = false;
    bool finish_after_write_ = false;
    grpc::Status final_status_;
  };

  grpc::ServerWriteReactor<v1::WatchEvent>* Watch(grpc::CallbackServerContext* ctx,
                                                  const v1::WatchRequest* req) override {
    auto fail = [](const api::Status& st) {
      struct Failed : grpc::ServerWriteReactor<v1::WatchEvent> {
        explicit Failed(const grpc::Status& s) { Finish(s); }
        void OnDone() override { delete this; }
      };
      return new Failed(ToGrpc(st));
    };
    auto kind = Resolve(req->kind());
    if (!kind.ok()) return fail(kind.status());
    auto who = Admit(ctx, api::Access::kRead, (*kind)->plural, "");
    if (!who.ok()) return fail(who.status());
    auto selector = api::LabelSelector::Parse(req->label_selector());
    if (!selector.ok()) return fail(selector.status());
    auto slot = limiter_->Acquire(who->has_value() ? (*who)->user : "");
    if (!slot.ok()) return fail(slot.status());
    auto watch = service_.Watch(**kind, req->resource_version(), *selector);
    if (!watch.ok()) return fail(watch.status());
    if (auto filter = FilterFor(*who, **kind)) (*watch)->SetFilter(std::move(filter));
    return new WatchReactor(*this, std::move(*watch), std::move(*slot));
  }

 private:
  static grpc::ServerUnaryReactor* Finish(grpc::ServerUnaryReactor* reactor,
                                          const api::Status& st) {
    reactor->Finish(ToGrpc(st));
    return reactor;
  }

  // Who is calling (nullopt with authentication off), if they may do this at all.
  api::StatusOr<std::optional<api::Principal>> Admit(grpc::CallbackServerContext* ctx,
                                                     api::Access access,
                                                     const std::string& resource,
                                                     const std::string& name) {
    auto who = Authenticate(authorizer_, *ctx);
    if (!who.ok() || !who->has_value()) return who;
    if (auto st = authorizer_->Authorize(**who, {access, resource, name}); !st.ok()) return st;
    return who;
  }

  // The object a write carries, if the caller may write objects of its kind.
  api::StatusOr<std::unique_ptr<Message>> AdmitWrite(grpc::CallbackServerContext* ctx,
                                                     const v1::Object& wrapped) {
    auto object = Unwrap(wrapped);
    if (!object.ok()) return object.status();
    const schema::KindInfo& kind = *schema::FindKind((*object)->GetDescriptor()->name());
    if (auto who = Admit(ctx, api::Access::kWrite, kind.plural, NameOf(**object)); !who.ok())
      return who.status();
    return object;
  }

  api::ObjectFilter FilterFor(const std::optional<api::Principal>& who,
                              const schema::KindInfo& kind) const {
    if (!who || !options_.read_scope) return nullptr;
    return options_.read_scope->FilterFor(*who, kind);
  }

  const GrpcOptions options_;
  api::ObjectService& service_;
  const api::Authorizer* authorizer_;
  std::unique_ptr<api::StreamLimiter> own_limiter_;
  api::StreamLimiter* limiter_ = nullptr;
  std::unique_ptr<AgentService> agent_service_;
  std::unique_ptr<LauncherService> launcher_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  int open_watches_ = 0;
};

api::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcOptions& options,
                                                             api::ObjectService& service,
                                                             const api::Authorizer* authorizer,
                                                             fleet::AgentBackend* agents) {
  auto impl = std::make_unique<Impl>(options, service, authorizer, agents);
  if (auto st = impl->Open(options); !st.ok()) return st;
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GrpcServer::~GrpcServer() { Stop(); }
void GrpcServer::Stop() { impl_->Stop(); }
int GrpcServer::port() const { return impl_->port(); }

}  // namespace gantry::grpcapi
