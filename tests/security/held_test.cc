// What held up in the security audit of issue 8, so it stays held, against a real gantryd:
//   - a viewer token cannot write, over REST (PUT, POST, PATCH, DELETE, PUT status) or gRPC
//     (Objects.Apply, Objects.Delete);
//   - an agent token cannot act for another agent's container instance (gRPC Agent
//     RegisterInstances, Heartbeat, ReportTaskStates);
//   - a SigV4 request signed 20 minutes ago, or whose body changed after signing, is refused
//     with AWS's error type;
//   - path traversal in the task id or ?container= of the task log route reads nothing outside
//     the log dir.
// Each refusal is checked against the same request made by someone allowed to (or signed
// properly), so a check cannot pass because the request was broken to begin with, and against
// the stored state afterwards, so a refusal that still wrote something fails.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/ecs/sigv4.h"
#include "gantry/v1/services.grpc.pb.h"
#include "tests/testlib/gantry_processes.h"
#include "tests/testlib/settled.h"

namespace gantry {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kTokens =
    "admin-token-0001,alice,admin\n"
    "editor-token-001,erin,editor\n"
    "viewer-token-001,victor,viewer\n"
    "agent-a-token-01,agent-a,agent\n"
    "agent-b-token-01,agent-b,agent\n";
constexpr const char* kAdmin = "admin-token-0001";
constexpr const char* kEditor = "editor-token-001";
constexpr const char* kViewer = "viewer-token-001";
constexpr const char* kAgentA = "agent-a-token-01";
constexpr const char* kAgentB = "agent-b-token-01";

constexpr const char* kPrefix = "/apis/gantry.dev/v1/";
constexpr const char* kAccessKey = "AKIDHELDTEST0001";
constexpr const char* kSecret = "heldSecretKey/0123456789abcdefghijklmn";

// A file written before gantryd starts (gantryd reads it at start), in a directory of its own.
class StartFile {
 public:
  StartFile(const std::string& name, const std::string& text) : path_(dir_.path() + "/" + name) {
    std::ofstream(path_) << text;
    fs::permissions(path_, fs::perms::owner_read | fs::perms::owner_write);
  }
  const std::string& path() const { return path_; }

 private:
  testlib::TempDir dir_;
  std::string path_;
};

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

std::string Describe(const grpc::Status& st) {
  return std::to_string(st.error_code()) + " " + st.error_message();
}

// Base: gantryd with bearer tokens, REST and gRPC clients.
class HeldTest : public ::testing::Test {
 protected:
  // With `sigv4`, gantryd also takes the SigV4 key kAccessKey.
  explicit HeldTest(bool sigv4 = false)
      : gantryd_([&] {
          std::vector<std::string> args{"--token-file", tokens_.path()};
          if (sigv4) args.insert(args.end(), {"--aws-credentials-file", creds_.path()});
          return args;
        }()) {}

  void SetUp() override {
    ASSERT_TRUE(gantryd_.ready()) << gantryd_.log();
    channel_ = grpc::CreateChannel(gantryd_.grpc_address(), grpc::InsecureChannelCredentials());
    objects_ = v1::Objects::NewStub(channel_);
    agent_ = v1::Agent::NewStub(channel_);
  }

  client::HttpResult Rest(const std::string& token, const std::string& method,
                          const std::string& path, const std::string& body = "") {
    auto r = gantryd_.Http(token).Request(method, path, body);
    EXPECT_TRUE(r.ok()) << method << " " << path << ": " << r.status().ToString();
    return r.ok() ? *r : client::HttpResult{};
  }

  // The object as an admin reads it, or null when it is not there.
  json Get(const std::string& plural, const std::string& name) {
    client::HttpResult r = Rest(kAdmin, "GET", kPrefix + plural + "/" + name);
    if (r.status == 404) return nullptr;
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  client::HttpResult Ecs(const std::string& token, const std::string& operation, const json& body) {
    auto r = gantryd_.Ecs(operation, body.dump(), {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(r.ok()) << operation << ": " << r.status().ToString();
    return r.ok() ? *r : client::HttpResult{};
  }

  grpc::Status Register(const std::string& token, const std::string& instance,
                        const std::string& cluster, int cpu) {
    v1::RegisterInstancesRequest req;
    auto* reg = req.add_instances();
    reg->set_container_instance(instance);
    reg->set_cluster(cluster);
    reg->mutable_registered_resources()->set_cpu(cpu);
    reg->mutable_registered_resources()->set_memory(1024);
    reg->mutable_version_info()->set_agent_version("1.0.0");
    v1::RegisterInstancesResponse resp;
    return agent_->RegisterInstances(Context(token).get(), req, &resp);
  }

  grpc::Status Heartbeat(const std::string& token, const std::vector<std::string>& instances) {
    v1::HeartbeatRequest req;
    for (const auto& i : instances) req.add_container_instances(i);
    v1::HeartbeatResponse resp;
    return agent_->Heartbeat(Context(token).get(), req, &resp);
  }

  grpc::Status Report(const std::string& token, const std::string& task,
                      const std::string& instance, const std::string& last_status) {
    v1::ReportTaskStatesRequest req;
    auto* r = req.add_reports();
    r->set_task(task);
    r->set_container_instance(instance);
    r->set_last_status(last_status);
    if (last_status == "STOPPED") {
      r->set_stopped_reason("stopped by another agent");
      r->set_stop_code("EssentialContainerExited");
    }
    v1::ReportTaskStatesResponse resp;
    return agent_->ReportTaskStates(Context(token).get(), req, &resp);
  }

  // Agent A's instance `ia` alone in cluster demo, a task definition `held` (container app) and
  // one task of it placed on ia; returns the task id.
  std::string TaskOnAgentA() {
    grpc::Status st = Register(kAgentA, "ia", "demo", 1024);
    EXPECT_TRUE(st.ok()) << Describe(st);
    client::HttpResult r =
        Ecs(kAdmin, "RegisterTaskDefinition",
            {{"family", "held"},
             {"containerDefinitions",
              {{{"name", "app"}, {"command", {"/bin/true"}}, {"cpu", 128}, {"memory", 16}}}}});
    EXPECT_EQ(r.status, 200) << r.body;
    r = Ecs(kAdmin, "RunTask", {{"cluster", "demo"}, {"taskDefinition", "held"}});
    EXPECT_EQ(r.status, 200) << r.body;
    json body = json::parse(r.body, nullptr, false);
    if (body.is_discarded() || body["tasks"].size() != 1) {
      ADD_FAILURE() << "RunTask placed no task: " << r.body;
      return "";
    }
    std::string arn = body["tasks"][0]["taskArn"];
    EXPECT_NE(body["tasks"][0]["containerInstanceArn"].get<std::string>().find("/ia"),
              std::string::npos)
        << r.body;
    return arn.substr(arn.rfind('/') + 1);
  }

  StartFile tokens_{"tokens.csv", kTokens};
  StartFile creds_{"aws.csv", std::string(kAccessKey) + "," + kSecret + "\n"};
  testlib::Gantryd gantryd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Objects::Stub> objects_;
  std::unique_ptr<v1::Agent::Stub> agent_;
};

// ---- a viewer cannot write ----

using ViewerTest = HeldTest;

std::string ServiceJson(const std::string& name, int desired) {
  return json{{"apiVersion", "gantry.dev/v1"},
              {"kind", "Service"},
              {"metadata", {{"name", name}}},
              {"spec", {{"cluster", "demo"}, {"taskDefinition", "web"}, {"desiredCount", desired}}}}
      .dump();
}

TEST_F(ViewerTest, RestWritesAre403AndChangeNothing) {
  // An editor makes `kept`; the viewer then tries every write on it and on a new `made`.
  ASSERT_EQ(
      Rest(kEditor, "PUT", std::string(kPrefix) + "services/kept", ServiceJson("kept", 2)).status,
      201);
  json before = testlib::Settled([&] { return Get("services", "kept"); });
  ASSERT_FALSE(before.is_null());

  struct Write {
    const char* method;
    std::string path;
    std::string body;
  };
  const std::string svc = std::string(kPrefix) + "services/";
  const Write writes[] = {
      {"PUT", svc + "made", ServiceJson("made", 1)},
      {"POST", std::string(kPrefix) + "services", ServiceJson("made", 1)},
      {"PUT", svc + "kept", ServiceJson("kept", 9)},
      {"PATCH", svc + "kept", R"({"spec":{"desiredCount":9}})"},
      {"PUT", svc + "kept/status", before.dump()},
      {"DELETE", svc + "kept", ""},
  };
  for (const Write& w : writes) {
    client::HttpResult r = Rest(kViewer, w.method, w.path, w.body);
    EXPECT_EQ(r.status, 403) << w.method << " " << w.path << ": " << r.body;
  }
  EXPECT_TRUE(Get("services", "made").is_null()) << "a viewer's PUT or POST created it";
  json after = Get("services", "kept");
  ASSERT_FALSE(after.is_null()) << "a viewer's DELETE deleted it";
  EXPECT_EQ(after["spec"]["desiredCount"], 2) << "a viewer's PUT or PATCH changed it";
  EXPECT_EQ(after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"]);

  // The same writes work for an editor, so the 403s above were about the role.
  EXPECT_EQ(Rest(kEditor, "PATCH", svc + "kept", R"({"spec":{"desiredCount":3}})").status, 200);
  EXPECT_EQ(Get("services", "kept")["spec"]["desiredCount"], 3);
  EXPECT_EQ(Rest(kEditor, "DELETE", svc + "kept").status, 200);
  EXPECT_TRUE(Get("services", "kept").is_null());
}

TEST_F(ViewerTest, GrpcApplyAndDeleteArePermissionDenied) {
  ASSERT_EQ(Rest(kEditor, "PUT", std::string(kPrefix) + "clusters/kept",
                 R"({"apiVersion":"gantry.dev/v1","kind":"Cluster","metadata":{"name":"kept"}})")
                .status,
            201);

  v1::ApplyRequest apply;
  auto* cluster = apply.mutable_object()->mutable_cluster();
  cluster->set_api_version("gantry.dev/v1");
  cluster->set_kind("Cluster");
  cluster->mutable_metadata()->set_name("made");
  v1::ApplyResponse applied;
  grpc::Status st = objects_->Apply(Context(kViewer).get(), apply, &applied);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);
  EXPECT_TRUE(Get("clusters", "made").is_null()) << "a viewer's Apply created it";

  v1::DeleteRequest del;
  del.set_kind("Cluster");
  del.set_name("kept");
  v1::Object deleted;
  st = objects_->Delete(Context(kViewer).get(), del, &deleted);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);
  EXPECT_FALSE(Get("clusters", "kept").is_null()) << "a viewer's Delete deleted it";

  // The viewer may read; an editor may do both writes.
  v1::GetRequest get;
  get.set_kind("Cluster");
  get.set_name("kept");
  v1::Object got;
  st = objects_->Get(Context(kViewer).get(), get, &got);
  EXPECT_TRUE(st.ok()) << Describe(st);
  st = objects_->Apply(Context(kEditor).get(), apply, &applied);
  EXPECT_TRUE(st.ok()) << Describe(st);
  EXPECT_FALSE(Get("clusters", "made").is_null());
  st = objects_->Delete(Context(kEditor).get(), del, &deleted);
  EXPECT_TRUE(st.ok()) << Describe(st);
  EXPECT_TRUE(Get("clusters", "kept").is_null());
}

// ---- an agent cannot act for another agent's instance ----

using AgentTest = HeldTest;

TEST_F(AgentTest, AnotherAgentsInstanceIsPermissionDenied) {
  std::string task = TaskOnAgentA();
  ASSERT_FALSE(task.empty());
  grpc::Status st = Register(kAgentB, "ib", "other", 512);
  ASSERT_TRUE(st.ok()) << Describe(st);

  // Agent B re-registering ia (to take it over or change its resources).
  st = Register(kAgentB, "ia", "demo", 999999);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);
  EXPECT_EQ(Get("containerinstances", "ia")["spec"]["registeredResources"]["cpu"], 1024);

  // Heartbeats for ia, alone or among B's own.
  st = Heartbeat(kAgentB, {"ia"});
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);
  st = Heartbeat(kAgentB, {"ib", "ia"});
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);

  // Reports on the task placed on ia.
  ASSERT_EQ(Get("tasks", task)["status"]["lastStatus"], "PENDING");
  st = Report(kAgentB, task, "ia", "STOPPED");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);
  json after = Get("tasks", task);
  EXPECT_EQ(after["status"]["lastStatus"], "PENDING") << after.dump();

  // Agent A may do all of it for its own instance, and B for its own.
  st = Heartbeat(kAgentA, {"ia"});
  EXPECT_TRUE(st.ok()) << Describe(st);
  st = Heartbeat(kAgentB, {"ib"});
  EXPECT_TRUE(st.ok()) << Describe(st);
  st = Report(kAgentA, task, "ia", "RUNNING");
  EXPECT_TRUE(st.ok()) << Describe(st);
  EXPECT_EQ(Get("tasks", task)["status"]["lastStatus"], "RUNNING");
}

// ---- SigV4: a stale date and a changed body are refused ----

class SigV4Test : public HeldTest {
 protected:
  SigV4Test() : HeldTest(/*sigv4=*/true) {}

  static std::string AmzDate(std::chrono::system_clock::time_point t) {
    auto secs = std::chrono::floor<std::chrono::seconds>(t);
    auto days = std::chrono::floor<std::chrono::days>(secs);
    std::chrono::year_month_day ymd{days};
    std::chrono::hh_mm_ss hms{secs - days};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
  }

  // An ECS call signed (as the AWS CLI signs it) at `signed_at` over `signed_body`, sending
  // `sent_body`.
  client::HttpResult Signed(const std::string& operation, const std::string& signed_body,
                            const std::string& sent_body,
                            std::chrono::system_clock::time_point signed_at) {
    const std::string target = "AmazonEC2ContainerServiceV20141113." + operation;
    const std::string date = AmzDate(signed_at);
    ecs::SignedRequest r{"POST", "/", "", {}, signed_body};
    r.headers = {{"host", "127.0.0.1:" + std::to_string(gantryd_.port())},
                 {"content-type", "application/x-amz-json-1.1"},
                 {"x-amz-target", target},
                 {"x-amz-date", date}};
    ecs::sigv4::SigningParams p{kAccessKey, kSecret,
                                date,       "us-east-1",
                                "ecs",      {"content-type", "host", "x-amz-date", "x-amz-target"}};
    auto result = gantryd_.Ecs(
        operation, sent_body,
        {{"X-Amz-Date", date}, {"Authorization", ecs::sigv4::AuthorizationHeader(r, p)}});
    EXPECT_TRUE(result.ok()) << operation << ": " << result.status().ToString();
    return result.ok() ? *result : client::HttpResult{};
  }

  std::vector<std::string> Clusters() {
    client::HttpResult r = Ecs(kAdmin, "ListClusters", json::object());
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> names;
    json body = json::parse(r.body, nullptr, false);
    if (body.is_discarded()) return names;
    for (const auto& arn : body["clusterArns"]) {
      std::string s = arn;
      names.push_back(s.substr(s.rfind('/') + 1));
    }
    return names;
  }

  static std::string TypeOf(const client::HttpResult& r) {
    json body = json::parse(r.body, nullptr, false);
    return body.is_object() ? body.value("__type", "") : "";
  }
};

TEST_F(SigV4Test, SignatureTwentyMinutesOldIsRefused) {
  const std::string body = R"({"clusterName":"stale"})";
  auto now = std::chrono::system_clock::now();
  client::HttpResult r = Signed("CreateCluster", body, body, now - std::chrono::minutes(20));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(TypeOf(r), "InvalidSignatureException") << r.body;
  EXPECT_NE(r.body.find("Signature expired"), std::string::npos) << r.body;
  EXPECT_TRUE(Clusters().empty());

  // Signed now, the same call goes through.
  r = Signed("CreateCluster", body, body, now);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Clusters(), std::vector<std::string>{"stale"});
}

TEST_F(SigV4Test, BodyChangedAfterSigningIsRefused) {
  const std::string signed_body = R"({"clusterName":"held-a"})";
  std::string sent_body = signed_body;
  sent_body[sent_body.size() - 3] = 'b';  // one byte: held-a becomes held-b
  auto now = std::chrono::system_clock::now();
  client::HttpResult r = Signed("CreateCluster", signed_body, sent_body, now);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(TypeOf(r), "InvalidSignatureException") << r.body;
  EXPECT_TRUE(Clusters().empty());

  r = Signed("CreateCluster", sent_body, sent_body, now);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Clusters(), std::vector<std::string>{"held-b"});
}

// ---- the task log route reads nothing outside the log dir ----

class TaskLogTraversalTest : public HeldTest {
 protected:
  static constexpr const char* kSentinel = "SENTINEL-outside-the-log-dir";

  // Files a traversal would reach, each holding the sentinel: for a task id of "..",
  // "../planted" or "../../planted", a container of "../x", "../../planted" or
  // "../../../planted" under the task's own directory (logs/<task>/<container>.<stream>.log).
  void Plant() {
    const std::string data = gantryd_.data_dir();
    const fs::path parent = fs::path(data).parent_path();
    std::vector<fs::path> files = {
        fs::path(data) / "app.stdout.log",              // task ".."
        fs::path(data) / "planted" / "app.stdout.log",  // task "../planted"
        parent / "planted" / "app.stdout.log",          // task "../../planted"
        fs::path(data) / "logs" / "x.stdout.log",       // container "../x"
        fs::path(data) / "planted.stdout.log",          // container "../../planted"
        parent / "planted.stdout.log",                  // container "../../../planted"
        fs::path(data) / "logs" / "etc" / "app.stdout.log",
    };
    for (const fs::path& f : files) {
      fs::create_directories(f.parent_path());
      std::ofstream(f) << kSentinel << "\n";
      planted_.push_back(f);
    }
  }

  client::HttpResult Log(const std::string& path) {
    auto r = gantryd_.Http(kAdmin).Request("GET", path);
    EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    return r.ok() ? *r : client::HttpResult{};
  }

  std::vector<fs::path> planted_;
};

TEST_F(TaskLogTraversalTest, TaskIdsAndContainersCannotLeaveTheLogDir) {
  std::string task = TaskOnAgentA();
  ASSERT_FALSE(task.empty());
  // The task's real output, shipped as agent A would.
  v1::AppendTaskLogsRequest append;
  append.set_container_instance("ia");
  auto* chunk = append.add_chunks();
  chunk->set_task(task);
  chunk->set_container("app");
  chunk->set_stream("stdout");
  chunk->set_offset(0);
  chunk->set_data("real output\n");
  v1::AppendTaskLogsResponse appended;
  grpc::Status st = agent_->AppendTaskLogs(Context(kAgentA).get(), append, &appended);
  ASSERT_TRUE(st.ok()) << Describe(st);
  Plant();

  // The route works: the task's own log reads back, by task and by container.
  const std::string tasks = std::string(kPrefix) + "tasks/";
  client::HttpResult r = Log(tasks + task + "/log");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "real output\n");
  r = Log(tasks + task + "/log?container=app");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "real output\n");

  // Traversal in the task id: refused outright (no such task).
  for (const std::string& id : std::vector<std::string>{
           "..%2f..%2fetc", "..%2f..%2fplanted", "..%2fplanted", "..", "%2e%2e", "%2e%2e%2fplanted",
           "..%5c..%5cplanted", "logs%2f..%2f..%2fplanted", ".%2fetc", task + "%2f..%2f..%2fetc"}) {
    r = Log(tasks + id + "/log");
    EXPECT_GE(r.status, 400) << id << ": " << r.body;
    EXPECT_LT(r.status, 500) << id << ": " << r.body;
    EXPECT_EQ(r.body.find(kSentinel), std::string::npos) << id << " read a planted file";
  }
  r = Log(tasks + "../../planted/log");
  EXPECT_GE(r.status, 400) << r.body;
  EXPECT_EQ(r.body.find(kSentinel), std::string::npos) << "../../planted read a planted file";

  // Traversal in ?container= of a real task: nothing outside the task's directory is read. (The
  // route answers an unusable name with a 4xx, or with no output at all: either reads nothing.)
  for (const std::string& c : std::vector<std::string>{
           "..%2fx", "../x", "..%2f..%2fplanted", "../../planted", "../../../planted",
           "%2e%2e%2f%2e%2e%2fplanted", "..%2f..%2f..%2fplanted", "/etc/passwd", "%2fetc%2fpasswd",
           "..", "app%2f..%2f..%2f..%2fplanted", "app%00"}) {
    r = Log(tasks + task + "/log?container=" + c);
    EXPECT_LT(r.status, 500) << c << ": " << r.body;
    EXPECT_TRUE(r.status >= 400 || r.body.empty()) << c << ": " << r.status << " " << r.body;
    EXPECT_EQ(r.body.find(kSentinel), std::string::npos) << c << " read a planted file";
    EXPECT_EQ(r.body.find("real output"), std::string::npos) << c << " read the app log";
  }

  // Nothing planted was touched or removed either.
  for (const fs::path& f : planted_) {
    std::ifstream in(f);
    std::string line;
    EXPECT_TRUE(std::getline(in, line) && line == kSentinel) << f;
  }
}

}  // namespace
}  // namespace gantry
