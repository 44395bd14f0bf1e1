// grpcpp for the agent's side; the header stays free of it.
#include "api/grpc/agent_client.h"

#include <grpcpp/grpcpp.h>

#include <mutex>
#include <thread>

#include "gantry/v1/services.grpc.pb.h"

namespace gantry::grpcapi {

struct AgentClient::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Agent::Stub> agent;
  std::unique_ptr<v1::Objects::Stub> objects;
  std::string token;

  void Prepare(grpc::ClientContext& ctx, std::chrono::milliseconds timeout) const {
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  }
};

AgentClient::AgentClient(const std::string& address, const std::string& token,
                         const ChannelTls& tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->channel = OpenChannel(address, tls);
  impl_->agent = v1::Agent::NewStub(impl_->channel);
  impl_->objects = v1::Objects::NewStub(impl_->channel);
  impl_->token = token;
}

AgentClient::~AgentClient() = default;

api::StatusOr<v1::RegisterInstancesResponse> AgentClient::Register(
    const v1::RegisterInstancesRequest& req) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx, timeout_ * 6);  // a simulated fleet registers thousands at once
  v1::RegisterInstancesResponse resp;
  auto st = FromGrpc(impl_->agent->RegisterInstances(&ctx, req, &resp));
  if (!st.ok()) return st;
  return resp;
}

api::StatusOr<v1::HeartbeatResponse> AgentClient::Heartbeat(const v1::HeartbeatRequest& req) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx, timeout_);
  v1::HeartbeatResponse resp;
  auto st = FromGrpc(impl_->agent->Heartbeat(&ctx, req, &resp));
  if (!st.ok()) return st;
  return resp;
}

api::StatusOr<v1::ReportTaskStatesResponse> AgentClient::Report(
    const v1::ReportTaskStatesRequest& req) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx, timeout_);
  v1::ReportTaskStatesResponse resp;
  auto st = FromGrpc(impl_->agent->ReportTaskStates(&ctx, req, &resp));
  if (!st.ok()) return st;
  return resp;
}

api::Status AgentClient::AppendLogs(const v1::AppendTaskLogsRequest& req) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx, timeout_);
  v1::AppendTaskLogsResponse resp;
  return FromGrpc(impl_->agent->AppendTaskLogs(&ctx, req, &resp));
}

api::StatusOr<v1::TaskDefinition> AgentClient::GetTaskDefinition(const std::string& name) {
  grpc::ClientContext ctx;
  impl_->Prepare(ctx, timeout_);
  v1::GetRequest req;
  req.set_kind("TaskDefinition");
  req.set_name(name);
  v1::Object resp;
  auto st = FromGrpc(impl_->objects->Get(&ctx, req, &resp));
  if (!st.ok()) return st;
  if (!resp.has_task_definition())
    return api::Status(api::Code::kInternal, "the server answered with another kind");
  return resp.task_definition();
}

api::Status AgentClient::ListTasks(const std::string& label_selector, std::vector<v1::Task>& tasks,
                                   std::string& revision) {
  tasks.clear();
  std::string continue_token;
  do {
    grpc::ClientContext ctx;
    impl_->Prepare(ctx, timeout_);
    v1::ListRequest req;
    req.set_kind("Task");
    req.set_label_selector(label_selector);
    req.set_limit(5000);
    req.set_continue_token(continue_token);
    v1::ListResponse resp;
    auto st = FromGrpc(impl_->objects->List(&ctx, req, &resp));
    if (!st.ok()) return st;
    for (auto& item : *resp.mutable_items()) tasks.push_back(std::move(*item.mutable_task()));
    if (continue_token.empty()) revision = resp.resource_version();
    continue_token = resp.continue_token();
  } while (!continue_token.empty());
  return {};
}

api::Status AgentClient::WatchTasks(const std::string& label_selector, const std::string& revision,
                                    const std::function<void(const TaskWatchEvent&)>& on_event,
                                    const std::atomic<bool>& stop) {
  grpc::ClientContext ctx;
  if (!impl_->token.empty()) ctx.AddMetadata("authorization", "Bearer " + impl_->token);
  v1::WatchRequest req;
  req.set_kind("Task");
  req.set_label_selector(label_selector);
  req.set_resource_version(revision);
  auto reader = impl_->objects->Watch(&ctx, req);
  // Read() blocks; a watcher thread cancels the call when asked to stop.
  std::atomic<bool> done{false};
  std::thread canceller([&] {
    while (!done && !stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!done) ctx.TryCancel();
  });
  v1::WatchEvent event;
  while (reader->Read(&event)) {
    if (event.type() == "BOOKMARK" || !event.object().has_task()) continue;
    on_event({event.type(), event.object().task()});
  }
  done = true;
  canceller.join();
  auto st = reader->Finish();
  if (stop) return {};
  if (st.ok()) return api::Status(api::Code::kUnavailable, "watch ended");
  return FromGrpc(st);
}

}  // namespace gantry::grpcapi
