// The only file that includes grpcpp.
#include "api/grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/schema/kinds.h"
#include "gantry/v1/services.grpc.pb.h"

namespace gantry::grpcapi {
namespace {

using google::protobuf::Message;

grpc::Status ToGrpc(const api::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(static_cast<int>(s.code())), s.ToString());
}

// Object (a oneof of every kind) <-> a typed object.
api::StatusOr<const schema::KindInfo*> KindOf(const v1::Object& o, const Message** message) {
  const auto* r = o.GetReflection();
  const auto* oneof = o.GetDescriptor()->FindOneofByName("kind");
  const auto* field = r->GetOneofFieldDescriptor(o, oneof);
  if (!field) return api::InvalidArgument("object", "no object given");
  *message = &r->GetMessage(o, field);
  const schema::KindInfo* kind = schema::FindKind(field->message_type()->name());
  if (!kind) return api::InvalidArgument("object", "unknown kind");
  return kind;
}

void Wrap(const Message& m, v1::Object* out) {
  const auto* d = out->GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->message_type() == m.GetDescriptor()) {
      out->GetReflection()->MutableMessage(out, d->field(i))->CopyFrom(m);
      return;
    }
  }
}

const std::string& NameOf(const Message& m) { return schema::MetaOf(m).name(); }

std::string AuthorizationHeader(const grpc::CallbackServerContext& ctx) {
  auto it = ctx.client_metadata().find("authorization");
  if (it == ctx.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
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
    if (!authorizer_) return std::string();
    auto who = authorizer_->Authenticate(AuthorizationHeader(*ctx));
    if (!who.ok()) return who.status();
    if (who->role == api::Role::kViewer) {
      return api::Status(api::Code::kPermissionDenied,
                         "user \"" + who->user + "\" (viewer) may not act as an agent");
    }
    return who->role == api::Role::kAgent ? who->user : std::string();
  }

  fleet::AgentBackend& backend_;
  const api::Authorizer* authorizer_;
};

class GrpcServer::Impl final : public v1::Objects::CallbackService {
 public:
  Impl(api::ObjectService& service, const api::Authorizer* authorizer, fleet::AgentBackend* agents)
      : service_(service), authorizer_(authorizer) {
    if (agents) agent_service_ = std::make_unique<AgentService>(*agents, authorizer);
  }

  api::Status Open(const GrpcOptions& options) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(), &port_);
    // Agents batch: a simulated fleet registers hundreds of instances per call, and output
    // comes in batches of up to 1 MiB.
    builder.SetMaxReceiveMessageSize(16 << 20);
    builder.RegisterService(this);
    if (agent_service_) builder.RegisterService(agent_service_.get());
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
    if (auto st = Admit(ctx, api::Access::kWrite, (*kind)->plural, NameOf(*object)); !st.ok())
      return Finish(reactor, st);
    std::unique_ptr<Message> copy(object->New());
    copy->CopyFrom(*object);
    schema::SetTypeMeta(*copy, **kind);
    auto applied = service_.Apply(*copy, {.dry_run = req->dry_run()});
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
    if (auto st = Admit(ctx, api::Access::kRead, (*kind)->plural, req->name()); !st.ok())
      return Finish(reactor, st);
    auto object = service_.Get(**kind, req->name());
    if (!object.ok()) return Finish(reactor, object.status());
    Wrap(**object, resp);
    return Finish(reactor, {});
  }

  grpc::ServerUnaryReactor* List(grpc::CallbackServerContext* ctx, const v1::ListRequest* req,
                                 v1::ListResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    auto kind = Resolve(req->kind());
    if (!kind.ok()) return Finish(reactor, kind.status());
    if (auto st = Admit(ctx, api::Access::kRead, (*kind)->plural, ""); !st.ok())
      return Finish(reactor, st);
    auto selector = api::LabelSelector::Parse(req->label_selector());
    if (!selector.ok()) return Finish(reactor, selector.status());
    if (req->limit() < 0)
      return Finish(reactor, api::InvalidArgument("limit", "must not be negative"));
    auto list =
        service_.List(**kind, *selector, static_cast<size_t>(req->limit()), req->continue_token());
    if (!list.ok()) return Finish(reactor, list.status());
    for (const auto& item : list->items) Wrap(*item, resp->add_items());
    resp->set_resource_version(std::to_string(list->revision));
    resp->set_continue_token(list->continue_token);
    return Finish(reactor, {});
  }

  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const v1::DeleteRequest* req,
                                   v1::Object* resp) override {
    auto* reactor = ctx->DefaultReactor();
    auto kind = Resolve(req->kind());
    if (!kind.ok()) return Finish(reactor, kind.status());
    if (auto st = Admit(ctx, api::Access::kWrite, (*kind)->plural, req->name()); !st.ok())
      return Finish(reactor, st);
    auto deleted =
        service_.Delete(**kind, req->name(), req->resource_version(), {.dry_run = req->dry_run()});
    if (!deleted.ok()) return Finish(reactor, deleted.status());
    Wrap(**deleted, resp);
    return Finish(reactor, {});
  }

  // ---- Watch: one thread per stream feeds the reactor one write at a time ----

  class WatchReactor : public grpc::ServerWriteReactor<v1::WatchEvent> {
   public:
    WatchReactor(Impl& impl, std::unique_ptr<api::ObjectWatch> watch)
        : impl_(impl), watch_(std::move(watch)) {
      {
        std::lock_guard lock(impl_.mu_);
        ++impl_.open_watches_;
      }
      std::thread([this] { Run(); }).detach();
    }

    void OnWriteDone(bool ok) override {
      std::lock_guard lock(mu_);
      writing_ = false;
      if (!ok) cancelled_ = true;  // the client went away
      cv_.notify_all();
    }
    void OnCancel() override {
      std::lock_guard lock(mu_);
      cancelled_ = true;
      cv_.notify_all();
    }
    void OnDone() override {
      {
        std::lock_guard lock(impl_.mu_);
        --impl_.open_watches_;
      }
      impl_.cv_.notify_all();
      delete this;
    }

   private:
    void Run() {
      grpc::Status final_status = grpc::Status::OK;
      while (true) {
        {
          std::unique_lock lock(mu_);
          cv_.wait(lock, [&] { return !writing_ || cancelled_; });
          if (cancelled_ || impl_.stopping_) break;
        }
        api::ObjectEvent e;
        auto poll = watch_->Next(e, std::chrono::milliseconds(200));
        if (poll == api::ObjectWatch::Poll::kClosed) {
          final_status = grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                                      "watch closed: " + watch_->closed_reason());
          break;
        }
        if (poll == api::ObjectWatch::Poll::kTimeout) continue;
        event_.Clear();
        event_.set_type(api::EventTypeName(e.type));
        Wrap(*e.object, event_.mutable_object());
        event_.set_resource_version(schema::MetaOf(*e.object).resource_version());
        {
          std::lock_guard lock(mu_);
          writing_ = true;
        }
        StartWrite(&event_);
      }
      watch_->Cancel();
      {
        // Finish only after the last write completed.
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !writing_; });
      }
      Finish(final_status);  // OnDone deletes this; nothing touches it afterwards
    }

    Impl& impl_;
    std::unique_ptr<api::ObjectWatch> watch_;
    v1::WatchEvent event_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool writing_ = false;
    bool cancelled_ = false;
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
    if (auto st = Admit(ctx, api::Access::kRead, (*kind)->plural, ""); !st.ok()) return fail(st);
    auto selector = api::LabelSelector::Parse(req->label_selector());
    if (!selector.ok()) return fail(selector.status());
    auto watch = service_.Watch(**kind, req->resource_version(), *selector);
    if (!watch.ok()) return fail(watch.status());
    return new WatchReactor(*this, std::move(*watch));
  }

 private:
  static grpc::ServerUnaryReactor* Finish(grpc::ServerUnaryReactor* reactor,
                                          const api::Status& st) {
    reactor->Finish(ToGrpc(st));
    return reactor;
  }

  api::Status Admit(grpc::CallbackServerContext* ctx, api::Access access,
                    const std::string& resource, const std::string& name) {
    if (!authorizer_) return {};
    auto who = authorizer_->Authenticate(AuthorizationHeader(*ctx));
    if (!who.ok()) return who.status();
    return authorizer_->Authorize(*who, {access, resource, name, "", false});
  }

  api::ObjectService& service_;
  const api::Authorizer* authorizer_;
  std::unique_ptr<AgentService> agent_service_;
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
  auto impl = std::make_unique<Impl>(service, authorizer, agents);
  if (auto st = impl->Open(options); !st.ok()) return st;
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GrpcServer::~GrpcServer() { Stop(); }
void GrpcServer::Stop() { impl_->Stop(); }
int GrpcServer::port() const { return impl_->port(); }

}  // namespace gantry::grpcapi
