#include "api/grpc/grpc_client.h"

#include <gtest/gtest.h>

#include "api/clock/fake_clock.h"
#include "api/grpc/grpc_server.h"
#include "api/service/object_service.h"
#include "controllers/runtime/informer.h"
#include "store/memory/memory_store.h"
#include "tests/testlib/eventually.h"

namespace gantry::grpcapi {
namespace {

using std::chrono::seconds;

v1::Service ServiceNamed(const std::string& name, int desired) {
  v1::Service s;
  s.set_api_version("gantry.dev/v1");
  s.set_kind("Service");
  s.mutable_metadata()->set_name(name);
  s.mutable_spec()->set_cluster("default");
  s.mutable_spec()->set_task_definition("web");
  s.mutable_spec()->set_desired_count(desired);
  return s;
}

const v1::Service& AsService(const client::Object& o) {
  return static_cast<const v1::Service&>(*o);
}

// The client a controller outside gantryd would use, against a real gRPC server on loopback.
class GrpcClientTest : public ::testing::Test {
 protected:
  void Start(const api::Authorizer* authorizer = nullptr, const std::string& token = "") {
    GrpcOptions options;
    options.address = "127.0.0.1:0";
    options.launch = [this](const v1::LaunchRequest& r) -> api::StatusOr<v1::LaunchResponse> {
      launched_.push_back(r.task_definition());
      v1::LaunchResponse response;
      response.add_tasks()->mutable_metadata()->set_name("t-1");
      return response;
    };
    auto server = GrpcServer::Start(options, service_, authorizer);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    client_ = std::make_unique<GrpcClient>("127.0.0.1:" + std::to_string(server_->port()), token);
  }

  const schema::KindInfo& services_ = *schema::FindKind("Service");
  store::MemoryStore store_;
  clock::FakeClock clock_;
  api::ObjectService service_{store_, clock_};
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<GrpcClient> client_;
  std::vector<std::string> launched_;
};

TEST_F(GrpcClientTest, EveryCallOfTheInterfaceReachesTheServiceLayer) {
  Start();
  client::Client& api = *client_;
  auto created = api.Apply(ServiceNamed("web", 2));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->outcome, client::ApplyOutcome::kCreated);
  EXPECT_EQ(api.Apply(ServiceNamed("web", 2))->outcome, client::ApplyOutcome::kUnchanged);

  auto got = api.Get(services_, "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(AsService(*got).spec().desired_count(), 2);
  EXPECT_EQ(AsService(*got).kind(), "Service");
  EXPECT_EQ(api.Get(services_, "nope").status().code(), api::Code::kNotFound);

  EXPECT_EQ(api.Create(ServiceNamed("web", 1)).status().code(), api::Code::kAlreadyExists);
  ASSERT_TRUE(api.Create(ServiceNamed("db", 1)).ok());
  auto page = api.List(services_, {.label_selector = "", .limit = 1, .continue_token = ""});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 1u);
  EXPECT_FALSE(page->continue_token.empty());
  EXPECT_EQ(page->revision, store_.CurrentRevision());

  // Status only, pinned to the resourceVersion the writer saw.
  v1::Service status = AsService(*got);
  status.mutable_status()->set_running_count(2);
  auto updated = api.UpdateStatus(status);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(AsService(*updated).status().running_count(), 2);
  EXPECT_EQ(api.UpdateStatus(status).status().code(), api::Code::kAborted);

  // One transaction: both or neither.
  v1::Service web = AsService(*updated), db = AsService(*api.Get(services_, "db"));
  web.mutable_status()->set_running_count(3);
  db.mutable_status()->set_running_count(3);
  auto committed = api.Commit(
      {{client::Write::Type::kUpdateStatus, &web}, {client::Write::Type::kUpdateStatus, &db}});
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  ASSERT_EQ(committed->size(), 2u);
  EXPECT_EQ(schema::MetaOf(*(*committed)[0]).resource_version(),
            schema::MetaOf(*(*committed)[1]).resource_version());
  EXPECT_EQ(api.Commit({{client::Write::Type::kUpdateStatus, &web}}).status().code(),
            api::Code::kAborted);

  auto deleted = api.Delete(services_, "db", "");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(schema::MetaOf(**deleted).name(), "db");

  v1::LaunchRequest launch;
  launch.set_task_definition("web:1");
  auto launched = api.Launch(launch);
  ASSERT_TRUE(launched.ok()) << launched.status().ToString();
  EXPECT_EQ(launched->tasks(0).metadata().name(), "t-1");
  EXPECT_EQ(launched_, std::vector<std::string>{"web:1"});
}

// What makes a controller runnable in its own process: an informer over this client lists,
// watches and follows gantryd's objects.
TEST_F(GrpcClientTest, AnInformerOverGrpcFollowsTheStore) {
  ASSERT_TRUE(service_.Apply(ServiceNamed("web", 1)).ok());
  Start();
  clock::FakeClock informer_clock;
  controllers::runtime::Informer informer(*client_, services_, informer_clock);
  informer.Start();
  ASSERT_TRUE(informer.WaitForSync(seconds(10)));
  EXPECT_NE(informer.Get("web"), nullptr);
  auto scaled = service_.Apply(ServiceNamed("web", 5));
  ASSERT_TRUE(scaled.ok());
  ASSERT_TRUE(
      informer.WaitForRevision(controllers::runtime::RevisionOf(*scaled->object), seconds(10)));
  EXPECT_EQ(static_cast<const v1::Service&>(*informer.Get("web")).spec().desired_count(), 5);
  ASSERT_TRUE(service_.Delete(services_, "web").ok());
  EXPECT_TRUE(testlib::Eventually([&] { return informer.Get("web") == nullptr; }, seconds(10)));
  informer.Stop();
}

TEST_F(GrpcClientTest, WritesAreAuthorizedAsAnyCallersAre) {
  auto auth = api::Authorizer::FromText("viewer-secret-1,carol,viewer\n", "t");
  ASSERT_TRUE(auth.ok());
  Start(&*auth, "viewer-secret-1");
  client::Client& api = *client_;
  EXPECT_EQ(api.Create(ServiceNamed("web", 1)).status().code(), api::Code::kPermissionDenied);
  v1::Service web = ServiceNamed("web", 1);
  EXPECT_EQ(api.Commit({{client::Write::Type::kCreate, &web}}).status().code(),
            api::Code::kPermissionDenied);
  EXPECT_EQ(api.UpdateStatus(web).status().code(), api::Code::kPermissionDenied);
  EXPECT_EQ(api.Launch(v1::LaunchRequest{}).status().code(), api::Code::kPermissionDenied);
  EXPECT_TRUE(launched_.empty());
  EXPECT_TRUE(api.List(services_, {}).ok()) << "a viewer reads";
}

}  // namespace
}  // namespace gantry::grpcapi
