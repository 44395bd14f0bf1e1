// grpcpp for controllers outside gantryd; the header stays free of it.
#include "api/grpc/grpc_client.h"

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "api/grpc/object_oneof.h"
#include "gantry/v1/services.grpc.pb.h"

namespace gantry::grpcapi {
namespace {

v1::Object Wrapped(const google::protobuf::Message& m) {
  v1::Object o;
  Wrap(m, &o);
  return o;
}

int64_t RevisionFrom(const std::string& text) {
  int64_t revision = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
    revision = revision * 10 + (c - '0');
  }
  return revision;
}

// One server stream read on a thread of its own into a queue that Next() drains.
class GrpcWatch : public client::WatchStream {
 public:
  // Keeps `channel` for as long as the stream lives, whatever becomes of the client.
  GrpcWatch(std::shared_ptr<grpc::Channel> channel, const v1::WatchRequest& request,
            const std::string& token)
      : channel_(std::move(channel)) {
    if (!token.empty()) ctx_.AddMetadata("authorization", "Bearer " + token);
    reader_ = v1::Objects::NewStub(channel_)->Watch(&ctx_, request);
    thread_ = std::thread([this] { Read(); });
  }
  ~GrpcWatch() override {
    Cancel();
    thread_.join();
  }

  Poll Next(client::WatchEvent& event, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || closed_; });
    if (!queue_.empty()) {
      event = std::move(queue_.front());
      queue_.pop_front();
      return Poll::kEvent;
    }
    return closed_ ? Poll::kClosed : Poll::kTimeout;
  }
  void Cancel() override { ctx_.TryCancel(); }
  std::string closed_reason() const override {
    std::lock_guard lock(mu_);
    return reason_;
  }
  void SetNotify(std::function<void()> notify) override {
    std::lock_guard lock(mu_);
    notify_ = std::move(notify);
  }

 private:
  void Read() {
    v1::WatchEvent wire;
    while (reader_->Read(&wire)) {
      client::WatchEvent event;
      if (wire.type() == "ADDED") {
        event.type = client::WatchEvent::Type::kAdded;
      } else if (wire.type() == "MODIFIED") {
        event.type = client::WatchEvent::Type::kModified;
      } else if (wire.type() == "DELETED") {
        event.type = client::WatchEvent::Type::kDeleted;
      } else {
        continue;  // BOOKMARK: nothing changed
      }
      auto object = Unwrap(wire.object());
      if (!object.ok()) continue;
      event.object = std::move(*object);
      Push(std::move(event));
    }
    const grpc::Status st = reader_->Finish();
    std::function<void()> notify;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      reason_ = st.ok() ? "the server ended the watch" : FromGrpc(st).ToString();
      notify = notify_;
    }
    cv_.notify_all();
    if (notify) notify();
  }
  void Push(client::WatchEvent event) {
    std::function<void()> notify;
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(event));
      notify = notify_;
    }
    cv_.notify_all();
    if (notify) notify();
  }

  std::shared_ptr<grpc::Channel> channel_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<client::WatchEvent> queue_;
  bool closed_ = false;
  std::string reason_;
  std::function<void()> notify_;
  std::thread thread_;
};

}  // namespace

struct GrpcClient::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Objects::Stub> objects;
  std::unique_ptr<v1::Launcher::Stub> launcher;
  std::string token;
  std::chrono::milliseconds timeout;

  void Prepare(grpc::ClientContext& ctx) const {
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  }
  // A unary call's answer object, unwrapped.
  api::StatusOr<client::Object> Answer(const grpc::Status& st, const v1::Object& object) const {
    if (auto s = FromGrpc(st); !s.ok()) return s;
    return Unwrap(object);
  }
};

GrpcClient::GrpcClient(const std::string& address, const std::string& token, const ChannelTls& tls,
                       std::chrono::milliseconds timeout)
    : impl_(std::make_shared<Impl>()) {
  impl_->channel = OpenChannel(address, tls);
  impl_->objects = v1::Objects::NewStub(impl_->channel);
  impl_->launcher = v1::Launcher::NewStub(impl_->channel);
  impl_->token = token;
  impl_->timeout = timeout;
}

GrpcClient::~GrpcClient() = default;

api::StatusOr<client::Object> GrpcClient::Get(const schema::KindInfo& kind, std::string_view name) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx);
  v1::GetRequest req;
  req.set_kind(kind.kind);
  req.set_name(std::string(name));
  v1::Object resp;
  return impl_->Answer(impl_->objects->Get(&ctx, req, &resp), resp);
}

api::StatusOr<client::ListPage> GrpcClient::List(const schema::KindInfo& kind,
                                                 const client::ListOptions& options) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx);
  v1::ListRequest req;
  req.set_kind(kind.kind);
  req.set_label_selector(options.label_selector);
  req.set_limit(static_cast<int32_t>(options.limit));
  req.set_continue_token(options.continue_token);
  v1::ListResponse resp;
  if (auto st = FromGrpc(impl_->objects->List(&ctx, req, &resp)); !st.ok()) return st;
  client::ListPage page;
  for (const auto& item : resp.items()) {
    auto object = Unwrap(item);
    if (!object.ok()) return object.status();
    page.items.push_back(std::move(*object));
  }
  page.revision = RevisionFrom(resp.resource_version());
  page.continue_token = resp.continue_token();
  return page;
}

api::StatusOr<std::unique_ptr<client::WatchStream>> GrpcClient::Watch(
    const schema::KindInfo& kind, std::string_view resource_version,
    std::string_view label_selector) {
  v1::WatchRequest req;
  req.set_kind(kind.kind);
  req.set_resource_version(std::string(resource_version));
  req.set_label_selector(std::string(label_selector));
  // A refused watch (a compacted revision: kOutOfRange, a bad selector) shows as the stream
  // closing at once; the informer relists on either.
  return std::unique_ptr<client::WatchStream>(
      std::make_unique<GrpcWatch>(impl_->channel, req, impl_->token));
}

api::StatusOr<client::Applied> GrpcClient::Apply(const google::protobuf::Message& manifest,
                                                 const client::ApplyOptions& options) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx);
  v1::ApplyRequest req;
  *req.mutable_object() = Wrapped(manifest);
  req.set_dry_run(options.dry_run);
  req.set_field_manager(options.field_manager);
  req.set_server_side(options.server_side);
  if (options.fields) req.mutable_fields()->Add(options.fields->begin(), options.fields->end());
  req.set_force(options.force_conflicts);
  v1::ApplyResponse resp;
  const grpc::Status st = impl_->objects->Apply(&ctx, req, &resp);
  auto object = impl_->Answer(st, resp.object());  // read after the call has filled it
  if (!object.ok()) return object.status();
  client::Applied applied;
  applied.object = std::move(*object);
  applied.outcome = resp.outcome() == "created"      ? client::ApplyOutcome::kCreated
                    : resp.outcome() == "configured" ? client::ApplyOutcome::kConfigured
                                                     : client::ApplyOutcome::kUnchanged;
  return applied;
}

api::StatusOr<client::Object> GrpcClient::Create(const google::protobuf::Message& object) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx);
  v1::CreateRequest req;
  *req.mutable_object() = Wrapped(object);
  v1::Object resp;
  return impl_->Answer(impl_->objects->Create(&ctx, req, &resp), resp);
}

api::StatusOr<client::Object> GrpcClient::Delete(const schema::KindInfo& kind,
                                                 std::string_view name,
                                                 std::string_view resource_version) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx);
  v1::DeleteRequest req;
  req.set_kind(kind.kind);
  req.set_name(std::string(name));
  req.set_resource_version(std::string(resource_version));
  v1::Object resp;
  return impl_->Answer(impl_->objects->Delete(&ctx, req, &resp), resp);
}

api::StatusOr<client::Object> GrpcClient::UpdateStatus(const google::protobuf::Message& object) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx);
  v1::UpdateStatusRequest req;
  *req.mutable_object() = Wrapped(object);
  v1::Object resp;
  return impl_->Answer(impl_->objects->UpdateStatus(&ctx, req, &resp), resp);
}

api::StatusOr<std::vector<client::Object>> GrpcClient::Commit(
    const std::vector<client::Write>& writes) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx);
  v1::CommitRequest req;
  for (const auto& w : writes) {
    auto* write = req.add_writes();
    write->set_type(w.type == client::Write::Type::kCreate         ? "create"
                    : w.type == client::Write::Type::kUpdateStatus ? "updateStatus"
                                                                   : "delete");
    *write->mutable_object() = Wrapped(*w.object);
  }
  v1::CommitResponse resp;
  if (auto st = FromGrpc(impl_->objects->Commit(&ctx, req, &resp)); !st.ok()) return st;
  std::vector<client::Object> out;
  for (const auto& o : resp.objects()) {
    auto object = Unwrap(o);
    if (!object.ok()) return object.status();
    out.push_back(std::move(*object));
  }
  return out;
}

api::StatusOr<v1::LaunchResponse> GrpcClient::Launch(const v1::LaunchRequest& request) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx);
  v1::LaunchResponse resp;
  if (auto st = FromGrpc(impl_->launcher->Launch(&ctx, request, &resp)); !st.ok()) return st;
  return resp;
}

}  // namespace gantry::grpcapi
