#include "api/grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "gantry/v1/services.grpc.pb.h"
#include "store/memory/memory_store.h"

namespace gantry::grpcapi {
namespace {

v1::Object ServiceObject(const std::string& name, int desired) {
  v1::Object o;
  auto* s = o.mutable_service();
  s->mutable_metadata()->set_name(name);
  (*s->mutable_metadata()->mutable_labels())["app"] = name;
  s->mutable_spec()->set_cluster("default");
  s->mutable_spec()->set_task_definition("web");
  s->mutable_spec()->set_desired_count(desired);
  return o;
}

class GrpcServerTest : public ::testing::Test {
 protected:
  void Start(const api::Authorizer* authorizer = nullptr) {
    GrpcOptions options;
    options.address = "127.0.0.1:0";
    options.launch = [this](const v1::LaunchRequest& r) -> api::StatusOr<v1::LaunchResponse> {
      if (r.count() < 1) return api::InvalidArgument("count", "must be between 1 and 1000");
      launched_.push_back(r);
      v1::LaunchResponse response;
      response.add_tasks()->mutable_metadata()->set_name("t-1");
      return response;
    };
    auto server = GrpcServer::Start(options, service_, authorizer);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Objects::NewStub(channel_);
  }

  store::MemoryStore store_;
  api::FakeClock clock_;
  api::ObjectService service_{store_, clock_};
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Objects::Stub> stub_;
  std::vector<v1::LaunchRequest> launched_;  // what reached the launch function
};

TEST_F(GrpcServerTest, ApplyGetListDelete) {
  Start();
  grpc::ClientContext c1;
  v1::ApplyRequest apply;
  *apply.mutable_object() = ServiceObject("web", 2);
  v1::ApplyResponse applied;
  ASSERT_TRUE(stub_->Apply(&c1, apply, &applied).ok());
  EXPECT_EQ(applied.outcome(), "created");
  EXPECT_EQ(applied.object().service().metadata().resource_version(), "1");
  EXPECT_EQ(applied.object().service().kind(), "Service");

  grpc::ClientContext c2;
  ASSERT_TRUE(stub_->Apply(&c2, apply, &applied).ok());
  EXPECT_EQ(applied.outcome(), "unchanged");

  grpc::ClientContext c3;
  v1::GetRequest get;
  get.set_kind("svc");
  get.set_name("web");
  v1::Object got;
  ASSERT_TRUE(stub_->Get(&c3, get, &got).ok());
  EXPECT_EQ(got.service().spec().desired_count(), 2);

  grpc::ClientContext c4;
  v1::ListRequest list;
  list.set_kind("Service");
  list.set_label_selector("app=web");
  v1::ListResponse items;
  ASSERT_TRUE(stub_->List(&c4, list, &items).ok());
  EXPECT_EQ(items.items_size(), 1);
  EXPECT_EQ(items.resource_version(), "1");

  grpc::ClientContext c5;
  v1::DeleteRequest del;
  del.set_kind("services");
  del.set_name("web");
  ASSERT_TRUE(stub_->Delete(&c5, del, &got).ok());
  grpc::ClientContext c6;
  auto missing = stub_->Get(&c6, get, &got);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "service \"web\" not found");
}

TEST_F(GrpcServerTest, ErrorsMapToCanonicalCodes) {
  Start();
  grpc::ClientContext c1;
  v1::ApplyRequest apply;
  *apply.mutable_object() = ServiceObject("web", -1);
  v1::ApplyResponse r;
  auto invalid = stub_->Apply(&c1, apply, &r);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(invalid.error_message(), "spec.desiredCount: must not be negative");
  grpc::ClientContext c2;
  v1::ApplyRequest empty;
  EXPECT_EQ(stub_->Apply(&c2, empty, &r).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext c3;
  v1::GetRequest bad_kind;
  bad_kind.set_kind("pods");
  v1::Object o;
  EXPECT_EQ(stub_->Get(&c3, bad_kind, &o).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A stale resourceVersion is ABORTED (HTTP 409 on REST).
  grpc::ClientContext c4;
  *apply.mutable_object() = ServiceObject("web", 1);
  ASSERT_TRUE(stub_->Apply(&c4, apply, &r).ok());
  grpc::ClientContext c5;
  apply.mutable_object()->mutable_service()->mutable_metadata()->set_resource_version("99");
  EXPECT_EQ(stub_->Apply(&c5, apply, &r).error_code(), grpc::StatusCode::ABORTED);
}

TEST_F(GrpcServerTest, WatchStreamsEventsAndStopsCleanly) {
  Start();
  auto apply = [&](int desired) {
    grpc::ClientContext c;
    v1::ApplyRequest req;
    *req.mutable_object() = ServiceObject("web", desired);
    v1::ApplyResponse r;
    ASSERT_TRUE(stub_->Apply(&c, req, &r).ok());
  };
  apply(1);
  // From revision 1, not "now": the server registers the watch asynchronously, and the history
  // replay covers whatever is written before it does.
  grpc::ClientContext ctx;
  v1::WatchRequest req;
  req.set_kind("Service");
  req.set_resource_version("1");
  auto reader = stub_->Watch(&ctx, req);
  std::mutex mu;
  std::vector<std::string> seen;
  std::thread consumer([&] {
    v1::WatchEvent e;
    while (reader->Read(&e)) {
      std::lock_guard lock(mu);
      seen.push_back(e.type() + ":" + e.resource_version());
    }
  });
  apply(2);
  apply(3);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu);
      if (seen.size() >= 2) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server_->Stop();  // with the stream still open
  consumer.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"MODIFIED:2", "MODIFIED:3"}));
}

TEST_F(GrpcServerTest, WatchFromACompactedRevisionIsOutOfRange) {
  Start();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_.Create("/x/" + std::to_string(i), "v").ok());
  ASSERT_TRUE(store_.Compact(2).ok());
  grpc::ClientContext ctx;
  v1::WatchRequest req;
  req.set_kind("Service");
  req.set_resource_version("1");
  auto reader = stub_->Watch(&ctx, req);
  v1::WatchEvent e;
  EXPECT_FALSE(reader->Read(&e));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::OUT_OF_RANGE);
}

TEST_F(GrpcServerTest, BearerTokens) {
  auto auth =
      api::Authorizer::FromText("admin-secret-1,alice,admin\nviewer-secret-1,carol,viewer\n", "t");
  ASSERT_TRUE(auth.ok());
  Start(&*auth);
  v1::ApplyRequest apply;
  *apply.mutable_object() = ServiceObject("web", 1);
  v1::ApplyResponse r;
  grpc::ClientContext anonymous;
  EXPECT_EQ(stub_->Apply(&anonymous, apply, &r).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext viewer;
  viewer.AddMetadata("authorization", "Bearer viewer-secret-1");
  EXPECT_EQ(stub_->Apply(&viewer, apply, &r).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext admin;
  admin.AddMetadata("authorization", "Bearer admin-secret-1");
  EXPECT_TRUE(stub_->Apply(&admin, apply, &r).ok());
}

// gantry.v1.Launcher reaches the launch function for those who may write tasks; agents, viewers
// and anonymous callers are refused before it, and its errors keep their canonical codes.
TEST_F(GrpcServerTest, LaunchIsForWritersOfTasks) {
  auto auth = api::Authorizer::FromText(
      "admin-secret-1,alice,admin\nviewer-secret-1,carol,viewer\nagent-secret-1,i-1,agent\n", "t");
  ASSERT_TRUE(auth.ok());
  Start(&*auth);
  auto launcher = v1::Launcher::NewStub(channel_);
  v1::LaunchRequest request;
  request.set_cluster("prod");
  request.set_task_definition("web:3");
  request.set_count(2);
  request.add_placement_constraints()->set_type("distinctInstance");
  v1::LaunchResponse response;
  auto call = [&](const char* token) {
    grpc::ClientContext ctx;
    if (token) ctx.AddMetadata("authorization", std::string("Bearer ") + token);
    return launcher->Launch(&ctx, request, &response).error_code();
  };
  EXPECT_EQ(call(nullptr), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(call("viewer-secret-1"), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call("agent-secret-1"), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(launched_.empty());
  EXPECT_EQ(call("admin-secret-1"), grpc::StatusCode::OK);
  ASSERT_EQ(launched_.size(), 1u);
  EXPECT_EQ(launched_[0].task_definition(), "web:3");
  EXPECT_EQ(launched_[0].placement_constraints(0).type(), "distinctInstance");
  ASSERT_EQ(response.tasks_size(), 1);
  EXPECT_EQ(response.tasks(0).metadata().name(), "t-1");
  request.set_count(0);
  EXPECT_EQ(call("admin-secret-1"), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace gantry::grpcapi
