// Finding 7: agent tokens reached too far. An instance without the gantry.dev/agent label counted
// as owned by every agent (one agent re-registered an instance the admin had registered through
// the ECS endpoint with cpu 999999), agents could create and delete any Event (and any other
// object), and they could read every object. Now (Kubernetes' NodeRestriction is the model) an
// agent identity acts only on instances labelled with it, an unlabelled instance belongs to no
// agent, an agent writes nothing through the object API, and it reads only its own instances,
// the tasks placed on them and the task definitions those tasks name: lists and watches of
// those three kinds leave everything else out, a Get of anything else is refused, and every
// other kind is refused outright (api/service/authorizer.cc, api/fleet/agent_read_scope.cc).
//
// The agent's token on its command line (--token refused, a 0644 --token-file refused, no token
// in /proc/PID/cmdline of a running agent, none in a task's environment) is covered by
// tests/security/task_isolation_test.cc (TokenInArgvIsRefused,
// TheTokenIsNeitherInTheAgentsArgvNorInATasksEnvironment) and agent/token_file_test.cc (every
// group- and world-readable mode); RealAgentUnderTheScope below adds only the forms those leave
// out (--token=VALUE, a group-readable file) and a real agent working under the read scope.
//
// Each refusal is checked against the same request made by someone allowed to, so a check cannot
// pass because the request was broken, and against the stored state afterwards.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gantry/v1/services.grpc.pb.h"
#include "tests/testlib/gantry_processes.h"
#include "tests/testlib/settled.h"

namespace gantry {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kTokens =
    "admin-token-0001,alice,admin\n"
    "agent-a-token-01,agent-a,agent\n"
    "agent-b-token-01,agent-b,agent\n";
constexpr const char* kAdmin = "admin-token-0001";
constexpr const char* kAgentA = "agent-a-token-01";
constexpr const char* kAgentB = "agent-b-token-01";
constexpr const char* kPrefix = "/apis/gantry.dev/v1/";

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

std::string Describe(const grpc::Status& st) {
  return std::to_string(st.error_code()) + " " + st.error_message();
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The names in a v1::ListResponse.
std::set<std::string> NamesOf(const v1::ListResponse& list) {
  std::set<std::string> names;
  for (const v1::Object& o : list.items()) {
    switch (o.kind_case()) {
      case v1::Object::kContainerInstance:
        names.insert(o.container_instance().metadata().name());
        break;
      case v1::Object::kTask:
        names.insert(o.task().metadata().name());
        break;
      case v1::Object::kTaskDefinition:
        names.insert(o.task_definition().metadata().name());
        break;
      default:
        names.insert("<unexpected kind " + std::to_string(o.kind_case()) + ">");
    }
  }
  return names;
}

class AgentScopeTest : public ::testing::Test {
 protected:
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

  // The object as the admin reads it, or null when it is not there.
  json Get(const std::string& plural, const std::string& name) {
    client::HttpResult r = Rest(kAdmin, "GET", kPrefix + plural + "/" + name);
    if (r.status == 404) return nullptr;
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  // The names a REST list shows to `token`.
  std::set<std::string> RestNames(const std::string& token, const std::string& plural) {
    client::HttpResult r = Rest(token, "GET", kPrefix + plural);
    EXPECT_EQ(r.status, 200) << plural << ": " << r.body;
    std::set<std::string> names;
    json body = json::parse(r.body, nullptr, false);
    if (!body.is_object()) return names;
    for (const auto& item : body["items"])
      names.insert(item["metadata"]["name"].get<std::string>());
    return names;
  }

  json Ecs(const std::string& operation, const json& body) {
    auto r =
        gantryd_.Ecs(operation, body.dump(), {{"Authorization", std::string("Bearer ") + kAdmin}});
    EXPECT_TRUE(r.ok() && r->status == 200)
        << operation << ": " << (r.ok() ? r->body : r.status().ToString());
    if (!r.ok()) return json::object();
    json parsed = json::parse(r->body, nullptr, false);
    return parsed.is_discarded() ? json::object() : parsed;
  }

  // A task definition `family` with one small container; returns its object name.
  std::string Definition(const std::string& family) {
    json r = Ecs("RegisterTaskDefinition",
                 {{"family", family},
                  {"containerDefinitions",
                   {{{"name", "app"}, {"command", {"/bin/true"}}, {"cpu", 128}, {"memory", 16}}}}});
    std::string arn = r["taskDefinition"].value("taskDefinitionArn", "");
    return arn.substr(arn.rfind('/') + 1);  // family:revision
  }

  // Runs `family` in `cluster` (one instance there); returns the task id.
  std::string RunOn(const std::string& cluster, const std::string& family,
                    const std::string& instance) {
    json r = Ecs("RunTask", {{"cluster", cluster}, {"taskDefinition", family}});
    if (!r["tasks"].is_array() || r["tasks"].size() != 1) {
      ADD_FAILURE() << "RunTask placed no task: " << r.dump();
      return "";
    }
    EXPECT_TRUE(r["tasks"][0]["containerInstanceArn"].get<std::string>().ends_with("/" + instance))
        << r.dump();
    std::string arn = r["tasks"][0]["taskArn"];
    return arn.substr(arn.rfind('/') + 1);
  }

  v1::RegisterInstancesRequest Registration(const std::string& instance, const std::string& cluster,
                                            int cpu) {
    v1::RegisterInstancesRequest req;
    auto* reg = req.add_instances();
    reg->set_container_instance(instance);
    reg->set_cluster(cluster);
    reg->mutable_registered_resources()->set_cpu(cpu);
    reg->mutable_registered_resources()->set_memory(1024);
    reg->mutable_version_info()->set_agent_version("1.0.0");
    return req;
  }

  grpc::Status Register(const std::string& token, const std::string& instance,
                        const std::string& cluster, int cpu) {
    v1::RegisterInstancesResponse resp;
    return agent_->RegisterInstances(Context(token).get(), Registration(instance, cluster, cpu),
                                     &resp);
  }

  grpc::Status Heartbeat(const std::string& token, const std::string& instance) {
    v1::HeartbeatRequest req;
    req.add_container_instances(instance);
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
      r->set_stopped_reason("stopped by an agent it does not belong to");
      r->set_stop_code("EssentialContainerExited");
    }
    v1::ReportTaskStatesResponse resp;
    return agent_->ReportTaskStates(Context(token).get(), req, &resp);
  }

  grpc::Status AppendLogs(const std::string& token, const std::string& task,
                          const std::string& instance) {
    v1::AppendTaskLogsRequest req;
    req.set_container_instance(instance);
    auto* chunk = req.add_chunks();
    chunk->set_task(task);
    chunk->set_container("app");
    chunk->set_stream("stdout");
    chunk->set_offset(0);
    chunk->set_data("forged output\n");
    v1::AppendTaskLogsResponse resp;
    return agent_->AppendTaskLogs(Context(token).get(), req, &resp);
  }

  grpc::Status GrpcGet(const std::string& token, const std::string& kind, const std::string& name) {
    v1::GetRequest req;
    req.set_kind(kind);
    req.set_name(name);
    v1::Object got;
    return objects_->Get(Context(token).get(), req, &got);
  }

  grpc::Status GrpcList(const std::string& token, const std::string& kind, v1::ListResponse* list) {
    v1::ListRequest req;
    req.set_kind(kind);
    return objects_->List(Context(token).get(), req, list);
  }

  std::set<std::string> GrpcNames(const std::string& token, const std::string& kind) {
    v1::ListResponse list;
    grpc::Status st = GrpcList(token, kind, &list);
    EXPECT_TRUE(st.ok()) << kind << ": " << Describe(st);
    return NamesOf(list);
  }

  grpc::Status Apply(const std::string& token, const v1::Object& object) {
    v1::ApplyRequest req;
    *req.mutable_object() = object;
    v1::ApplyResponse resp;
    return objects_->Apply(Context(token).get(), req, &resp);
  }

  grpc::Status Delete(const std::string& token, const std::string& kind, const std::string& name) {
    v1::DeleteRequest req;
    req.set_kind(kind);
    req.set_name(name);
    v1::Object deleted;
    return objects_->Delete(Context(token).get(), req, &deleted);
  }

  testlib::TempDir tokens_dir_;
  testlib::Gantryd gantryd_{{"--token-file", [this] {
                               std::string p = tokens_dir_.path() + "/tokens.csv";
                               std::ofstream(p) << kTokens;
                               return p;
                             }()}};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Objects::Stub> objects_;
  std::unique_ptr<v1::Agent::Stub> agent_;
};

std::string EventJson(const std::string& name, const std::string& message) {
  return json{{"apiVersion", "gantry.dev/v1"},
              {"kind", "Event"},
              {"metadata", {{"name", name}}},
              {"spec",
               {{"involvedObject", {{"kind", "Cluster"}, {"name", "a"}}},
                {"type", "Normal"},
                {"reason", "Test"},
                {"message", message}}}}
      .dump();
}

std::string ServiceJson(const std::string& name, int desired) {
  return json{{"apiVersion", "gantry.dev/v1"},
              {"kind", "Service"},
              {"metadata", {{"name", name}}},
              {"spec", {{"cluster", "a"}, {"taskDefinition", "tda"}, {"desiredCount", desired}}}}
      .dump();
}

// ---- an instance registered without the agent label belongs to no agent ----

TEST_F(AgentScopeTest, EcsRegisteredInstanceBelongsToNoAgent) {
  Ecs("CreateCluster", {{"clusterName", "a"}});
  // The admin registers ecs-1 through the ECS endpoint: no gantry.dev/agent label.
  Ecs("RegisterContainerInstance",
      {{"cluster", "a"},
       {"containerInstanceArn", "ecs-1"},
       {"totalResources", json::array({{{"name", "CPU"}, {"integerValue", 2048}},
                                       {{"name", "MEMORY"}, {"integerValue", 2048}}})}});
  Definition("tda");
  const std::string task = RunOn("a", "tda", "ecs-1");
  ASSERT_FALSE(task.empty());
  // Read after RunTask, which changed its remaining resources.
  json before = Get("containerinstances", "ecs-1");
  ASSERT_TRUE(before.is_object()) << before;
  ASSERT_FALSE(before["metadata"].contains("labels") &&
               before["metadata"]["labels"].contains("gantry.dev/agent"))
      << before.dump();
  ASSERT_EQ(before["spec"]["registeredResources"]["cpu"], 2048) << before.dump();

  // Agent A tries to take ecs-1 over (the old reproducer: cpu 999999), to keep it alive, to stop
  // its task and to write its task's log.
  grpc::Status st = Register(kAgentA, "ecs-1", "a", 999999);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);
  st = Heartbeat(kAgentA, "ecs-1");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);
  st = Report(kAgentA, task, "ecs-1", "STOPPED");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);
  st = AppendLogs(kAgentA, task, "ecs-1");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);

  json after = Get("containerinstances", "ecs-1");
  EXPECT_EQ(after["spec"]["registeredResources"]["cpu"], 2048) << after.dump();
  EXPECT_EQ(after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"])
      << after.dump();
  EXPECT_FALSE(after["metadata"].contains("labels") &&
               after["metadata"]["labels"].contains("gantry.dev/agent"))
      << after.dump();
  EXPECT_EQ(Get("tasks", task)["status"]["lastStatus"], "PENDING");
  client::HttpResult log = Rest(kAdmin, "GET", std::string(kPrefix) + "tasks/" + task + "/log");
  EXPECT_EQ(log.body.find("forged output"), std::string::npos) << log.body;

  // Nor does agent A see it.
  EXPECT_EQ(GrpcNames(kAgentA, "ContainerInstance").count("ecs-1"), 0u);
  EXPECT_EQ(RestNames(kAgentA, "containerinstances").count("ecs-1"), 0u);
  st = GrpcGet(kAgentA, "ContainerInstance", "ecs-1");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);

  // The same calls were well formed: agent A makes them for an instance of its own, and the
  // admin (who may act for any instance) for ecs-1, which stays unlabelled.
  st = Register(kAgentA, "ia", "a", 1024);
  EXPECT_TRUE(st.ok()) << Describe(st);
  EXPECT_EQ(Get("containerinstances", "ia")["metadata"]["labels"]["gantry.dev/agent"], "agent-a");
  st = Heartbeat(kAgentA, "ia");
  EXPECT_TRUE(st.ok()) << Describe(st);
  st = Register(kAdmin, "ecs-1", "a", 4096);
  EXPECT_TRUE(st.ok()) << Describe(st);
  after = Get("containerinstances", "ecs-1");
  EXPECT_EQ(after["spec"]["registeredResources"]["cpu"], 4096) << after.dump();
  EXPECT_FALSE(after["metadata"].contains("labels") &&
               after["metadata"]["labels"].contains("gantry.dev/agent"))
      << after.dump();
  st = Heartbeat(kAdmin, "ecs-1");
  EXPECT_TRUE(st.ok()) << Describe(st);
  st = Report(kAdmin, task, "ecs-1", "RUNNING");
  EXPECT_TRUE(st.ok()) << Describe(st);
  EXPECT_EQ(Get("tasks", task)["status"]["lastStatus"], "RUNNING");
}

// ---- an agent writes nothing through the object API ----

TEST_F(AgentScopeTest, AgentCannotWriteEventsOrAnyOtherObject) {
  ASSERT_TRUE(Register(kAgentA, "ia", "a", 1024).ok());
  Definition("tda");
  ASSERT_EQ(
      Rest(kAdmin, "PUT", std::string(kPrefix) + "events/ev-1", EventJson("ev-1", "kept")).status,
      201);
  ASSERT_EQ(
      Rest(kAdmin, "PUT", std::string(kPrefix) + "services/web", ServiceJson("web", 0)).status,
      201);
  const json event_before = Get("events", "ev-1");
  const json service_before = testlib::Settled([&] { return Get("services", "web"); });
  const json instance_before = Get("containerinstances", "ia");
  ASSERT_TRUE(event_before.is_object() && service_before.is_object() &&
              instance_before.is_object());

  // Over gRPC: a new Event, a changed Event, a Service, a TaskDefinition, a Cluster, and its own
  // ContainerInstance (which it changes through the Agent service only).
  v1::Object new_event;
  {
    auto* e = new_event.mutable_event();
    e->set_api_version("gantry.dev/v1");
    e->set_kind("Event");
    e->mutable_metadata()->set_name("ev-agent");
    e->mutable_spec()->mutable_involved_object()->set_kind("Cluster");
    e->mutable_spec()->mutable_involved_object()->set_name("a");
    e->mutable_spec()->set_type("Warning");
    e->mutable_spec()->set_reason("Forged");
    e->mutable_spec()->set_message("written by an agent");
  }
  v1::Object changed_event = new_event;
  changed_event.mutable_event()->mutable_metadata()->set_name("ev-1");
  v1::Object service;
  {
    auto* s = service.mutable_service();
    s->set_api_version("gantry.dev/v1");
    s->set_kind("Service");
    s->mutable_metadata()->set_name("web2");
    s->mutable_spec()->set_cluster("a");
    s->mutable_spec()->set_task_definition("tda");
  }
  v1::Object definition;
  {
    auto* d = definition.mutable_task_definition();
    d->set_api_version("gantry.dev/v1");
    d->set_kind("TaskDefinition");
    d->mutable_metadata()->set_name("agentdef");
    auto* c = d->mutable_spec()->add_containers();
    c->set_name("app");
    c->add_command("/bin/true");
    c->set_memory(16);
  }
  v1::Object cluster;
  {
    auto* c = cluster.mutable_cluster();
    c->set_api_version("gantry.dev/v1");
    c->set_kind("Cluster");
    c->mutable_metadata()->set_name("agentcluster");
  }
  v1::Object own_instance;
  {
    auto* ci = own_instance.mutable_container_instance();
    ci->set_api_version("gantry.dev/v1");
    ci->set_kind("ContainerInstance");
    ci->mutable_metadata()->set_name("ia");
    (*ci->mutable_metadata()->mutable_labels())["gantry.dev/agent"] = "agent-a";
    ci->mutable_spec()->set_cluster("a");
    ci->mutable_spec()->mutable_registered_resources()->set_cpu(999999);
    ci->mutable_spec()->mutable_registered_resources()->set_memory(1024);
  }
  for (const v1::Object* o :
       {&new_event, &changed_event, &service, &definition, &cluster, &own_instance}) {
    grpc::Status st = Apply(kAgentA, *o);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << o->ShortDebugString() << ": " << Describe(st);
  }
  for (const auto& [kind, name] :
       std::vector<std::pair<std::string, std::string>>{{"Event", "ev-1"},
                                                        {"Service", "web"},
                                                        {"TaskDefinition", "tda:1"},
                                                        {"Cluster", "a"},
                                                        {"ContainerInstance", "ia"}}) {
    grpc::Status st = Delete(kAgentA, kind, name);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << kind << " " << name << ": " << Describe(st);
  }

  // Over REST: every write method on events, and on the kinds it may read.
  json inflated = instance_before;
  inflated["spec"]["registeredResources"]["cpu"] = 999999;
  const std::string events = std::string(kPrefix) + "events";
  struct Write {
    const char* method;
    std::string path;
    std::string body;
  };
  const Write writes[] = {
      {"PUT", events + "/ev-agent", EventJson("ev-agent", "written by an agent")},
      {"POST", events, EventJson("ev-agent", "written by an agent")},
      {"PUT", events + "/ev-1", EventJson("ev-1", "changed by an agent")},
      {"PATCH", events + "/ev-1", R"({"spec":{"message":"changed by an agent"}})"},
      {"DELETE", events + "/ev-1", ""},
      {"DELETE", std::string(kPrefix) + "services/web", ""},
      {"PUT", std::string(kPrefix) + "containerinstances/ia", inflated.dump()},
      {"PATCH", std::string(kPrefix) + "containerinstances/ia",
       R"({"spec":{"registeredResources":{"cpu":999999}}})"},
      {"PUT", std::string(kPrefix) + "containerinstances/ia/status", instance_before.dump()},
      {"DELETE", std::string(kPrefix) + "containerinstances/ia", ""},
      {"DELETE", std::string(kPrefix) + "taskdefinitions/tda:1", ""},
  };
  for (const Write& w : writes) {
    client::HttpResult r = Rest(kAgentA, w.method, w.path, w.body);
    EXPECT_EQ(r.status, 403) << w.method << " " << w.path << ": " << r.body;
  }

  // Nothing was written.
  EXPECT_TRUE(Get("events", "ev-agent").is_null()) << "an agent created an Event";
  EXPECT_EQ(Get("events", "ev-1"), event_before) << "an agent changed or deleted an Event";
  EXPECT_EQ(Get("services", "web"), service_before);
  EXPECT_TRUE(Get("services", "web2").is_null());
  EXPECT_TRUE(Get("taskdefinitions", "agentdef").is_null());
  EXPECT_FALSE(Get("taskdefinitions", "tda:1").is_null());
  EXPECT_TRUE(Get("clusters", "agentcluster").is_null());
  EXPECT_FALSE(Get("clusters", "a").is_null());
  EXPECT_EQ(Get("containerinstances", "ia"), instance_before);

  // The admin may make the same writes, so the refusals above were about the role.
  grpc::Status st = Apply(kAdmin, new_event);
  EXPECT_TRUE(st.ok()) << Describe(st);
  EXPECT_FALSE(Get("events", "ev-agent").is_null());
  st = Delete(kAdmin, "Event", "ev-1");
  EXPECT_TRUE(st.ok()) << Describe(st);
  EXPECT_TRUE(Get("events", "ev-1").is_null());
  st = Apply(kAdmin, service);
  EXPECT_TRUE(st.ok()) << Describe(st);
  EXPECT_EQ(Rest(kAdmin, "PATCH", events + "/ev-agent", R"({"spec":{"message":"admin"}})").status,
            200);
  EXPECT_EQ(Rest(kAdmin, "DELETE", events + "/ev-agent").status, 200);
  EXPECT_EQ(Rest(kAdmin, "DELETE", std::string(kPrefix) + "services/web").status, 200);
}

// ---- an agent reads its own instances, their tasks and the definitions those name ----

class AgentReadTest : public AgentScopeTest {
 protected:
  void SetUp() override {
    AgentScopeTest::SetUp();
    if (HasFatalFailure()) return;
    Ecs("CreateCluster", {{"clusterName", "a"}});
    Ecs("CreateCluster", {{"clusterName", "b"}});
    ASSERT_TRUE(Register(kAgentA, "ia", "a", 1024).ok());
    ASSERT_TRUE(Register(kAgentB, "ib", "b", 1024).ok());
    def_a_ = Definition("tda");
    def_b_ = Definition("tdb");
    def_unrelated_ = Definition("unrelated");
    ASSERT_EQ(def_a_, "tda:1");
    task_a_ = RunOn("a", "tda", "ia");
    task_b_ = RunOn("b", "tdb", "ib");
    ASSERT_FALSE(task_a_.empty() || task_b_.empty());
    ASSERT_EQ(
        Rest(kAdmin, "PUT", std::string(kPrefix) + "events/ev-1", EventJson("ev-1", "x")).status,
        201);
    ASSERT_EQ(
        Rest(kAdmin, "PUT", std::string(kPrefix) + "services/web", ServiceJson("web", 0)).status,
        201);
  }

  std::string def_a_, def_b_, def_unrelated_, task_a_, task_b_;
};

TEST_F(AgentReadTest, ListsShowOnlyItsOwnInstancesTasksAndDefinitions) {
  // The admin sees everything: what the agents do not see is there to be seen.
  EXPECT_EQ(GrpcNames(kAdmin, "ContainerInstance"), (std::set<std::string>{"ia", "ib"}));
  EXPECT_EQ(GrpcNames(kAdmin, "Task"), (std::set<std::string>{task_a_, task_b_}));
  EXPECT_EQ(GrpcNames(kAdmin, "TaskDefinition"),
            (std::set<std::string>{def_a_, def_b_, def_unrelated_}));

  // Agent A, and symmetrically agent B, over gRPC and REST.
  for (const auto& [token, instance, task, definition] :
       std::vector<std::tuple<std::string, std::string, std::string, std::string>>{
           {kAgentA, "ia", task_a_, def_a_}, {kAgentB, "ib", task_b_, def_b_}}) {
    EXPECT_EQ(GrpcNames(token, "ContainerInstance"), std::set<std::string>{instance}) << token;
    EXPECT_EQ(GrpcNames(token, "Task"), std::set<std::string>{task}) << token;
    EXPECT_EQ(GrpcNames(token, "TaskDefinition"), std::set<std::string>{definition}) << token;
    EXPECT_EQ(RestNames(token, "containerinstances"), std::set<std::string>{instance}) << token;
    EXPECT_EQ(RestNames(token, "tasks"), std::set<std::string>{task}) << token;
    EXPECT_EQ(RestNames(token, "taskdefinitions"), std::set<std::string>{definition}) << token;
  }
}

TEST_F(AgentReadTest, GetOfAnythingElseIsRefused) {
  const std::string p = kPrefix;
  // Its own: readable, by gRPC and REST.
  for (const auto& [kind, plural, name] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"ContainerInstance", "containerinstances", "ia"},
           {"Task", "tasks", task_a_},
           {"TaskDefinition", "taskdefinitions", def_a_}}) {
    grpc::Status st = GrpcGet(kAgentA, kind, name);
    EXPECT_TRUE(st.ok()) << kind << " " << name << ": " << Describe(st);
    client::HttpResult r = Rest(kAgentA, "GET", p + plural + "/" + name);
    EXPECT_EQ(r.status, 200) << plural << "/" << name << ": " << r.body;
  }
  // Another agent's instance, the task on it, its definition, an unrelated definition: the
  // kind is readable, the object is not (403, PERMISSION_DENIED), and the body shows nothing.
  for (const auto& [kind, plural, name] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"ContainerInstance", "containerinstances", "ib"},
           {"Task", "tasks", task_b_},
           {"TaskDefinition", "taskdefinitions", def_b_},
           {"TaskDefinition", "taskdefinitions", def_unrelated_}}) {
    grpc::Status st = GrpcGet(kAgentA, kind, name);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << kind << " " << name << ": " << Describe(st);
    client::HttpResult r = Rest(kAgentA, "GET", p + plural + "/" + name);
    EXPECT_EQ(r.status, 403) << plural << "/" << name << ": " << r.body;
    EXPECT_EQ(r.body.find("\"spec\""), std::string::npos) << r.body;
    // The admin reads it, so the name was right.
    EXPECT_FALSE(Get(plural, name).is_null()) << plural << "/" << name;
  }
  // The kinds an agent has no business with: refused outright, list and get alike.
  for (const auto& [kind, plural, name] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"Service", "services", "web"},
           {"Event", "events", "ev-1"},
           {"Cluster", "clusters", "a"}}) {
    v1::ListResponse list;
    grpc::Status st = GrpcList(kAgentA, kind, &list);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << kind << ": " << Describe(st);
    EXPECT_EQ(list.items_size(), 0);
    st = GrpcGet(kAgentA, kind, name);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << kind << ": " << Describe(st);
    client::HttpResult r = Rest(kAgentA, "GET", p + plural);
    EXPECT_EQ(r.status, 403) << plural << ": " << r.body;
    r = Rest(kAgentA, "GET", p + plural + "/" + name);
    EXPECT_EQ(r.status, 403) << plural << "/" << name << ": " << r.body;
    r = Rest(kAgentA, "GET", p + plural + "?watch=true");
    EXPECT_EQ(r.status, 403) << plural << " watch: " << r.body;
    // The admin reads them.
    EXPECT_TRUE(GrpcGet(kAdmin, kind, name).ok()) << kind;
    EXPECT_EQ(Rest(kAdmin, "GET", p + plural).status, 200) << plural;
  }
}

// The admin's watch saw ib's change and then ia's (a change may come as more than one event);
// agent A's saw ia's only.
void ExpectBothThenOnlyOwn(const std::vector<std::string>& admin,
                           const std::vector<std::string>& agent) {
  ASSERT_FALSE(admin.empty());
  EXPECT_EQ(admin.front(), "ib") << "the watch did not replay ib's change";
  EXPECT_EQ(admin.back(), "ia");
  ASSERT_FALSE(agent.empty()) << "agent A's watch did not show its own change";
  for (const std::string& name : agent)
    EXPECT_EQ(name, "ia") << "agent A watched another's instance";
}

TEST_F(AgentReadTest, WatchesLeaveOutWhatIsNotItsOwn) {
  // A watch from a revision before both instances changed replays both changes to the admin;
  // agent A's watch must show its own change and not agent B's, which came first.
  client::HttpResult list = Rest(kAdmin, "GET", std::string(kPrefix) + "containerinstances");
  const std::string since = json::parse(list.body)["metadata"]["resourceVersion"];
  ASSERT_TRUE(Register(kAgentB, "ib", "b", 2048).ok());
  ASSERT_TRUE(Register(kAgentA, "ia", "a", 2048).ok());

  auto watched = [&](const std::string& token) {
    std::vector<std::string> names;
    auto code =
        gantryd_.Http(token, 10s)
            .Stream(
                std::string(kPrefix) + "containerinstances?watch=true&resourceVersion=" + since,
                [&](const std::string& line) {
                  json e = json::parse(line, nullptr, false);
                  if (!e.is_object() || !e.contains("object"))
                    return true;  // a bookmark or keep-alive
                  names.push_back(e["object"]["metadata"]["name"]);
                  return names.back() != "ia";  // ia changed last: everything before it has come
                },
                5s);
    EXPECT_TRUE(code.ok() && *code == 200)
        << (code.ok() ? std::to_string(*code) : code.status().ToString());
    return names;
  };
  ExpectBothThenOnlyOwn(watched(kAdmin), watched(kAgentA));

  // The same over gRPC.
  auto grpc_watched = [&](const std::string& token) {
    std::vector<std::string> names;
    v1::WatchRequest req;
    req.set_kind("ContainerInstance");
    req.set_resource_version(since);
    auto ctx = Context(token);
    auto reader = objects_->Watch(ctx.get(), req);
    v1::WatchEvent e;
    while (reader->Read(&e)) {
      if (!e.object().has_container_instance()) continue;
      names.push_back(e.object().container_instance().metadata().name());
      if (names.back() == "ia") break;
    }
    ctx->TryCancel();
    (void)reader->Finish();
    return names;
  };
  ExpectBothThenOnlyOwn(grpc_watched(kAdmin), grpc_watched(kAgentA));
}

// ---- a real agent under the scope ----

TEST_F(AgentScopeTest, RealAgentUnderTheScope) {
  // The forms of a token on the command line task_isolation_test leaves out: --token=VALUE and a
  // group-readable file. Each exits at once, naming --token-file.
  auto brief = [&](std::vector<std::string> flags) {
    std::vector<std::string> argv{testlib::BinDir() + "/gantry-agent",
                                  "--server",
                                  gantryd_.grpc_address(),
                                  "--state-dir",
                                  gantryd_.dir() + "/brief-agent",
                                  "--cluster",
                                  "sim"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const std::string log = gantryd_.dir() + "/brief-agent.log";
    int code;
    {
      testlib::Process agent(argv, log);
      code = agent.Wait(10s);
    }  // killed here if it kept running
    return std::make_pair(code, Slurp(log));
  };
  auto [code, err] = brief({"--simulate", "1", std::string("--token=") + kAgentA});
  EXPECT_NE(code, 0) << err;
  EXPECT_NE(code, -1) << "still running with --token=: " << err;
  EXPECT_NE(err.find("--token-file"), std::string::npos) << err;
  const std::string group_readable =
      gantryd_.WriteFile("group.token", std::string(kAgentA) + "\n", 0640);
  std::tie(code, err) = brief({"--simulate", "1", "--token-file", group_readable});
  EXPECT_NE(code, 0) << err;
  EXPECT_NE(code, -1) << "still running with a 0640 token file: " << err;
  EXPECT_NE(err.find("mode 0640"), std::string::npos) << err;

  // A simulated agent with a 0600 token file: it registers its instance labelled with its user,
  // and the read scope still shows it the tasks placed there (it learns them by watching Tasks),
  // so it reports them RUNNING.
  const std::string token_file = gantryd_.WriteFile("a.token", std::string(kAgentA) + "\n", 0600);
  Ecs("CreateCluster", {{"clusterName", "sim"}});
  size_t agent = gantryd_.StartAgent({"--cluster", "sim", "--simulate", "1", "--token-file",
                                      token_file, "--heartbeat-interval", "300ms"});
  std::string instance;
  ASSERT_TRUE(testlib::Eventually(
      [&] {
        std::set<std::string> names = GrpcNames(kAgentA, "ContainerInstance");
        if (names.size() != 1) return false;
        instance = *names.begin();
        return true;
      },
      15s))
      << gantryd_.agent_log(agent);
  EXPECT_EQ(Get("containerinstances", instance)["metadata"]["labels"]["gantry.dev/agent"],
            "agent-a");
  // Agent B does not see it, nor may it act for it.
  EXPECT_EQ(GrpcNames(kAgentB, "ContainerInstance").count(instance), 0u);
  grpc::Status st = Register(kAgentB, instance, "sim", 999999);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(st);

  Definition("simdef");
  const std::string task = RunOn("sim", "simdef", instance);
  ASSERT_FALSE(task.empty());
  EXPECT_TRUE(testlib::Eventually(
      [&] { return Get("tasks", task)["status"]["lastStatus"] == "RUNNING"; }, 15s))
      << Get("tasks", task).dump() << "\n"
      << gantryd_.agent_log(agent);
  EXPECT_EQ(GrpcNames(kAgentA, "Task"), std::set<std::string>{task});
  EXPECT_TRUE(GrpcNames(kAgentB, "Task").empty());
}

}  // namespace
}  // namespace gantry
