// Findings 13 and 14, against a real gantryd.
//   13a A SigV4 request signed over only `host;x-amz-date` verified, so its X-Amz-Target could be
//       swapped after signing: a request signed as ListClusters ran as DeleteCluster. Now host,
//       x-amz-date, x-amz-target, content-type and every x-amz-* header sent must be signed
//       (IncompleteSignatureException otherwise).
//   13b Every SigV4 key had full write access. Now a credentials line is KEY,SECRET[,ROLE] (admin,
//       editor or viewer; editor when left out) and a viewer key may only List and Describe; a
//       bad role stops gantryd at start with the line named.
//   14a IsLoopback accepted any host starting with "127." (127.example.com), so gantryd without
//       authentication listened on whatever that name resolved to. Now only IP loopback
//       literals and `localhost` count.
//   14b Environment variable names containing '=' (which sets another variable when the agent
//       builds NAME=VALUE) were accepted. Now they are refused, with the field named, at every
//       entry point, and nothing is stored.
//   14c (constant-time token comparison) is a unit concern: api/service/authorizer.cc compares
//       SHA-256 digests of every token with CRYPTO_memcmp; no timing test here.

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "api/ecs/sigv4.h"
#include "gantry/v1/services.grpc.pb.h"
#include "tests/testlib/gantry_processes.h"

namespace gantry {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string TypeOf(const client::HttpResult& r) {
  json body = json::parse(r.body, nullptr, false);
  return body.is_object() ? body.value("__type", "") : "";
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
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

struct Key {
  const char* id;
  const char* secret;
};
constexpr Key kAdmin{"AKIDSCOPEADMIN01", "adminSecret/0123456789abcdefghijklmnopqr"};
constexpr Key kEditor{"AKIDSCOPEEDITOR1", "editorSecret/0123456789abcdefghijklmnopq"};
constexpr Key kDefault{"AKIDSCOPEDEFLT01", "defaultSecret/0123456789abcdefghijklmnop"};
constexpr Key kViewer{"AKIDSCOPEVIEWER1", "viewerSecret/0123456789abcdefghijklmnopq"};

// The default role (editor) is the line without a third column.
const std::string kCredentials = std::string("# KEY,SECRET[,ROLE]\n") + kAdmin.id + "," +
                                 kAdmin.secret + ",admin\n" + kEditor.id + "," + kEditor.secret +
                                 ",editor\n" + kDefault.id + "," + kDefault.secret + "\n" +
                                 kViewer.id + "," + kViewer.secret + ",viewer\n";

// gantry binaries run to exit: its code (-1 if it still ran after `timeout`, then killed) and
// what it printed.
std::pair<int, std::string> RunBriefly(const std::vector<std::string>& argv, const std::string& log,
                                       std::chrono::milliseconds timeout = 10s) {
  int code;
  {
    testlib::Process p(argv, log);
    code = p.Wait(timeout);
  }  // killed here if it is still running
  return {code, Slurp(log)};
}

// A file written before gantryd starts, in a directory of its own.
class StartFile {
 public:
  StartFile(const std::string& name, const std::string& text) : path_(dir_.path() + "/" + name) {
    std::ofstream(path_) << text;
  }
  const std::string& path() const { return path_; }

 private:
  testlib::TempDir dir_;
  std::string path_;
};

class SigV4ScopeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(gantryd_.ready()) << gantryd_.log(); }

  // How a request is signed: the headers the signature covers, the target it was signed for
  // (which may differ from the one sent) and extra x-amz-* headers (signed or not).
  struct Signing {
    std::vector<std::string> signed_headers = {"content-type", "host", "x-amz-date",
                                               "x-amz-target"};
    std::string signed_operation;  // empty: the operation sent
    std::map<std::string, std::string> extra_headers;
  };

  client::HttpResult Signed(const Key& key, const std::string& operation, const json& body,
                            const Signing& signing) {
    const std::string payload = body.dump();
    const std::string signed_op =
        signing.signed_operation.empty() ? operation : signing.signed_operation;
    const std::string date = AmzDate(std::chrono::system_clock::now());
    ecs::SignedRequest r{"POST", "/", "", {}, payload};
    r.headers = {{"host", "127.0.0.1:" + std::to_string(gantryd_.port())},
                 {"content-type", "application/x-amz-json-1.1"},
                 {"x-amz-target", "AmazonEC2ContainerServiceV20141113." + signed_op},
                 {"x-amz-date", date}};
    std::map<std::string, std::string> sent{{"X-Amz-Date", date}};
    for (const auto& [name, value] : signing.extra_headers) {
      r.headers[name] = value;
      sent[name] = value;
    }
    ecs::sigv4::SigningParams p{key.id,      key.secret, date,
                                "us-east-1", "ecs",      signing.signed_headers};
    sent["Authorization"] = ecs::sigv4::AuthorizationHeader(r, p);
    auto result = gantryd_.Ecs(operation, payload, sent);
    EXPECT_TRUE(result.ok()) << operation << ": " << result.status().ToString();
    return result.ok() ? *result : client::HttpResult{};
  }
  client::HttpResult Signed(const Key& key, const std::string& operation, const json& body) {
    return Signed(key, operation, body, Signing{});
  }

  // ACTIVE clusters, as the admin key lists and describes them (a deleted cluster may linger
  // as INACTIVE, as in ECS).
  std::vector<std::string> ActiveClusters() {
    client::HttpResult r = Signed(kAdmin, "ListClusters", json::object());
    EXPECT_EQ(r.status, 200) << r.body;
    json listed = json::parse(r.body, nullptr, false);
    if (!listed.is_object() || listed["clusterArns"].empty()) return {};
    r = Signed(kAdmin, "DescribeClusters", {{"clusters", listed["clusterArns"]}});
    EXPECT_EQ(r.status, 200) << r.body;
    json described = json::parse(r.body, nullptr, false);
    std::vector<std::string> names;
    if (!described.is_object()) return names;
    for (const auto& c : described["clusters"])
      if (c.value("status", "") == "ACTIVE") names.push_back(c.value("clusterName", ""));
    std::sort(names.begin(), names.end());
    return names;
  }

  StartFile creds_{"aws.csv", kCredentials};
  testlib::Gantryd gantryd_{{"--aws-credentials-file", creds_.path()}};
};

// ---- 13a: what decides the operation must be signed ----

TEST_F(SigV4ScopeTest, TargetSwappedAfterSigningOverHostAndDateDoesNotDelete) {
  ASSERT_EQ(Signed(kAdmin, "CreateCluster", {{"clusterName", "victim"}}).status, 200);
  ASSERT_EQ(ActiveClusters(), std::vector<std::string>{"victim"});

  // The old reproducer: a valid signature over host and x-amz-date (and the body), made for
  // ListClusters, sent with X-Amz-Target DeleteCluster.
  Signing loose;
  loose.signed_headers = {"host", "x-amz-date"};
  loose.signed_operation = "ListClusters";
  client::HttpResult r = Signed(kAdmin, "DeleteCluster", {{"cluster", "victim"}}, loose);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(TypeOf(r), "IncompleteSignatureException") << r.body;
  EXPECT_TRUE(Contains(r.body, "x-amz-target")) << r.body;
  EXPECT_EQ(ActiveClusters(), std::vector<std::string>{"victim"}) << "the swapped call deleted it";

  // Signed over host and x-amz-date, nothing swapped: still incomplete, so still refused (the
  // refusal is about what was signed, not about the swap).
  loose.signed_operation.clear();
  r = Signed(kAdmin, "ListClusters", json::object(), loose);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(TypeOf(r), "IncompleteSignatureException") << r.body;

  // Signed over everything required but the target swapped: the signature no longer matches.
  Signing complete;
  complete.signed_operation = "ListClusters";
  r = Signed(kAdmin, "DeleteCluster", {{"cluster", "victim"}}, complete);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(TypeOf(r), "InvalidSignatureException") << r.body;
  EXPECT_EQ(ActiveClusters(), std::vector<std::string>{"victim"});

  // Signed over everything required, as itself: the same DeleteCluster goes through.
  r = Signed(kAdmin, "DeleteCluster", {{"cluster", "victim"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(ActiveClusters().empty());
}

TEST_F(SigV4ScopeTest, EveryRequiredAndEveryXAmzHeaderMustBeSigned) {
  // Each required header left out in turn; the message names it.
  const std::vector<std::string> all = {"content-type", "host", "x-amz-date", "x-amz-target"};
  for (const std::string& left_out : all) {
    Signing s;
    s.signed_headers.clear();
    for (const std::string& h : all)
      if (h != left_out) s.signed_headers.push_back(h);
    client::HttpResult r = Signed(kAdmin, "CreateCluster", {{"clusterName", "partial"}}, s);
    EXPECT_EQ(r.status, 400) << left_out << ": " << r.body;
    EXPECT_EQ(TypeOf(r), "IncompleteSignatureException") << r.body;
    // (AWS's own message capitalises Host.)
    std::string lower = r.body;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    EXPECT_TRUE(Contains(lower, "'" + left_out + "'")) << r.body;
  }

  // An x-amz-* header sent but not signed.
  Signing unsigned_extra;
  unsigned_extra.extra_headers = {{"x-amz-security-token", "planted"}};
  client::HttpResult r =
      Signed(kAdmin, "CreateCluster", {{"clusterName", "partial"}}, unsigned_extra);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(TypeOf(r), "IncompleteSignatureException") << r.body;
  EXPECT_TRUE(Contains(r.body, "x-amz-security-token")) << r.body;
  EXPECT_TRUE(ActiveClusters().empty());

  // The same header signed: accepted.
  Signing signed_extra = unsigned_extra;
  signed_extra.signed_headers = {"content-type", "host", "x-amz-date", "x-amz-security-token",
                                 "x-amz-target"};
  r = Signed(kAdmin, "CreateCluster", {{"clusterName", "partial"}}, signed_extra);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ActiveClusters(), std::vector<std::string>{"partial"});
}

// ---- 13b: each key has a role ----

TEST_F(SigV4ScopeTest, ViewerKeyReadsOnlyEditorAndAdminKeysWrite) {
  ASSERT_EQ(Signed(kEditor, "CreateCluster", {{"clusterName", "kept"}}).status, 200);
  json td = {{"family", "web"},
             {"containerDefinitions",
              {{{"name", "app"}, {"command", {"/bin/true"}}, {"cpu", 128}, {"memory", 16}}}}};
  ASSERT_EQ(Signed(kEditor, "RegisterTaskDefinition", td).status, 200);
  ASSERT_EQ(
      Signed(kEditor, "RegisterContainerInstance",
             {{"cluster", "kept"},
              {"containerInstanceArn", "ci-1"},
              {"totalResources", json::array({{{"name", "CPU"}, {"integerValue", 1024}},
                                              {{"name", "MEMORY"}, {"integerValue", 1024}}})}})
          .status,
      200);

  // The viewer key reads...
  client::HttpResult r = Signed(kViewer, "ListClusters", json::object());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Contains(r.body, "cluster/kept")) << r.body;
  r = Signed(kViewer, "DescribeClusters", {{"clusters", {"kept"}}});
  EXPECT_EQ(r.status, 200) << r.body;
  // ...and writes nothing.
  const std::vector<std::pair<std::string, json>> writes = {
      {"CreateCluster", {{"clusterName", "viewer-made"}}},
      {"DeleteCluster", {{"cluster", "kept"}}},
      {"RegisterTaskDefinition",
       {{"family", "viewer-def"}, {"containerDefinitions", td["containerDefinitions"]}}},
      {"RunTask", {{"cluster", "kept"}, {"taskDefinition", "web"}}},
  };
  for (const auto& [operation, body] : writes) {
    r = Signed(kViewer, operation, body);
    EXPECT_EQ(r.status, 400) << operation << ": " << r.body;
    EXPECT_EQ(TypeOf(r), "AccessDeniedException") << operation << ": " << r.body;
  }
  EXPECT_EQ(ActiveClusters(), std::vector<std::string>{"kept"});
  r = Signed(kAdmin, "ListTasks", {{"cluster", "kept"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body)["taskArns"].empty()) << "a viewer's RunTask ran: " << r.body;
  r = Signed(kAdmin, "ListTaskDefinitions", {{"familyPrefix", "viewer-def"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body)["taskDefinitionArns"].empty()) << r.body;

  // The same writes with an editor key, a key without a role column (editor) and an admin key.
  EXPECT_EQ(Signed(kEditor, "CreateCluster", {{"clusterName", "editor-made"}}).status, 200);
  EXPECT_EQ(Signed(kDefault, "CreateCluster", {{"clusterName", "default-made"}}).status, 200);
  EXPECT_EQ(Signed(kAdmin, "CreateCluster", {{"clusterName", "admin-made"}}).status, 200);
  r = Signed(kDefault, "RunTask", {{"cluster", "kept"}, {"taskDefinition", "web"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["tasks"].size(), 1u) << r.body;
  EXPECT_EQ(ActiveClusters(),
            (std::vector<std::string>{"admin-made", "default-made", "editor-made", "kept"}));
  EXPECT_EQ(Signed(kEditor, "DeleteCluster", {{"cluster", "editor-made"}}).status, 200);
}

TEST(SigV4CredentialsFileTest, BadRoleStopsGantrydNamingTheLine) {
  testlib::TempDir dir;
  for (const std::string role : {"root", "agent", "superuser"}) {
    SCOPED_TRACE(role);
    const std::string creds = dir.path() + "/aws.csv";
    std::ofstream(creds) << "# keys\n"
                         << kEditor.id << "," << kEditor.secret << ",editor\n"
                         << kViewer.id << "," << kViewer.secret << "," << role << "\n";
    auto [code, log] = RunBriefly(
        {testlib::BinDir() + "/gantryd", "--data-dir", dir.path() + "/data", "--listen",
         "127.0.0.1:" + std::to_string(testlib::FreePort()), "--grpc-listen",
         "127.0.0.1:" + std::to_string(testlib::FreePort()), "--aws-credentials-file", creds},
        dir.path() + "/gantryd.log");
    EXPECT_NE(code, 0) << log;
    EXPECT_NE(code, -1) << "gantryd started with a bad role: " << log;
    EXPECT_TRUE(Contains(log, "--aws-credentials-file")) << log;
    EXPECT_TRUE(Contains(log, creds + " line 3")) << log;
    EXPECT_TRUE(Contains(log, "admin, editor or viewer")) << log;
    EXPECT_FALSE(Contains(log, kViewer.secret)) << "the secret is in the message: " << log;
  }
}

// ---- 14a: only loopback literals and localhost count as loopback ----

// gantryd without any authentication, listening on `rest` and `grpc` (HOST:PORT each).
std::vector<std::string> Unauthenticated(const testlib::TempDir& dir, const std::string& rest,
                                         const std::string& grpc) {
  return {testlib::BinDir() + "/gantryd",
          "--data-dir",
          dir.path() + "/data",
          "--listen",
          rest,
          "--grpc-listen",
          grpc};
}

TEST(LoopbackTest, HostsThatOnlyLookLikeLoopbackAreRefusedBeforeBinding) {
  // Each refusal comes from the check main.cc makes before any server starts, so nothing here
  // ever listens off loopback.
  testlib::TempDir dir;
  const std::string port = std::to_string(testlib::FreePort());
  const std::string loopback = "127.0.0.1:" + std::to_string(testlib::FreePort());
  // (host as the message names it, as --listen writes it)
  for (const auto& [host, written] : std::vector<std::pair<std::string, std::string>>{
           {"127.example.com", "127.example.com"},
           {"127.0.0.1.example.com", "127.0.0.1.example.com"},
           {"localhost.example.com", "localhost.example.com"},
           {"0.0.0.0", "0.0.0.0"},
           {"::", "[::]"}}) {
    SCOPED_TRACE(written);
    for (bool on_grpc : {false, true}) {
      const std::string off = written + ":" + port;
      auto [code, log] = RunBriefly(
          on_grpc ? Unauthenticated(dir, loopback, off) : Unauthenticated(dir, off, loopback),
          dir.path() + "/gantryd.log");
      EXPECT_NE(code, 0) << log;
      EXPECT_NE(code, -1) << "gantryd started listening on " << off << ": " << log;
      EXPECT_TRUE(Contains(log, "refusing to listen on " + host + " without authentication"))
          << log;
    }
  }
}

// A TCP connection to [::1]:port succeeds.
bool Ipv6LoopbackAccepts(int port) {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  addr.sin6_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

TEST(LoopbackTest, LoopbackLiteralsAndLocalhostStart) {
  // host (as --listen writes it), and how to tell its port accepts.
  struct Case {
    std::string host;
    bool (*accepts)(int);
  };
  const Case cases[] = {
      {"127.0.0.1", testlib::PortAccepts},
      {"127.0.0.2", nullptr},  // all of 127/8 is loopback; checked by the log line only
      {"[::1]", Ipv6LoopbackAccepts},
      {"localhost", nullptr},  // 127.0.0.1 or ::1, as the resolver says
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.host);
    testlib::TempDir dir;
    const int port = testlib::FreePort();
    const int grpc_port = testlib::FreePort();
    const std::string log = dir.path() + "/gantryd.log";
    testlib::Process gantryd(Unauthenticated(dir, c.host + ":" + std::to_string(port),
                                             c.host + ":" + std::to_string(grpc_port)),
                             log);
    bool serving =
        testlib::Eventually([&] { return Contains(Slurp(log), "gantryd: serving REST on"); }, 15s);
    EXPECT_TRUE(serving) << Slurp(log);
    if (serving && c.accepts) {
      EXPECT_TRUE(c.accepts(port)) << Slurp(log);
    }
    gantryd.Signal(SIGTERM);
    EXPECT_EQ(gantryd.Wait(15s), 0) << Slurp(log);
  }
}

// ---- 14b: environment variable names ----

class EnvNameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(gantryd_.ready()) << gantryd_.log();
    channel_ = grpc::CreateChannel(gantryd_.grpc_address(), grpc::InsecureChannelCredentials());
    objects_ = v1::Objects::NewStub(channel_);
  }

  static json Containers(const std::string& env_name) {
    return json::array({{{"name", "app"},
                         {"command", {"/bin/true"}},
                         {"memory", 16},
                         {"environment", json::array({{{"name", "GOOD"}, {"value", "1"}},
                                                      {{"name", env_name}, {"value", "x"}}})}}});
  }

  client::HttpResult EcsRegister(const std::string& family, const std::string& env_name) {
    auto r = gantryd_.Ecs(
        "RegisterTaskDefinition",
        json{{"family", family}, {"containerDefinitions", Containers(env_name)}}.dump(),
        {{"Authorization", "Bearer admin-token-0001"}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : client::HttpResult{};
  }

  client::HttpResult RestPut(const std::string& name, const std::string& env_name) {
    json containers = Containers(env_name);
    json def = {{"apiVersion", "gantry.dev/v1"},
                {"kind", "TaskDefinition"},
                {"metadata", {{"name", name}}},
                {"spec", {{"containers", containers}}}};
    auto r = gantryd_.Http("admin-token-0001")
                 .Request("PUT", "/apis/gantry.dev/v1/taskdefinitions/" + name, def.dump());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : client::HttpResult{};
  }

  grpc::Status GrpcApply(const std::string& name, const std::string& env_name) {
    v1::ApplyRequest req;
    auto* d = req.mutable_object()->mutable_task_definition();
    d->set_api_version("gantry.dev/v1");
    d->set_kind("TaskDefinition");
    d->mutable_metadata()->set_name(name);
    auto* c = d->mutable_spec()->add_containers();
    c->set_name("app");
    c->add_command("/bin/true");
    c->set_memory(16);
    auto* good = c->add_environment();
    good->set_name("GOOD");
    good->set_value("1");
    auto* bad = c->add_environment();
    bad->set_name(env_name);
    bad->set_value("x");
    v1::ApplyResponse resp;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer admin-token-0001");
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    return objects_->Apply(&ctx, req, &resp);
  }

  // The task definitions stored, by name, as the admin lists them.
  std::vector<std::string> Stored() {
    auto r =
        gantryd_.Http("admin-token-0001").Request("GET", "/apis/gantry.dev/v1/taskdefinitions");
    EXPECT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
    std::vector<std::string> names;
    if (!r.ok()) return names;
    json list = json::parse(r->body, nullptr, false);
    if (!list.is_object()) return names;
    for (const auto& item : list["items"]) names.push_back(item["metadata"]["name"]);
    return names;
  }

  StartFile tokens_{"tokens.csv", "admin-token-0001,alice,admin\n"};
  testlib::Gantryd gantryd_{{"--token-file", tokens_.path()}};
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Objects::Stub> objects_;
};

TEST_F(EnvNameTest, BadNamesAreRefusedAtEveryEntryPointAndNothingIsStored) {
  // '=' (A=B=x sets A), an empty name and NUL (which cuts NAME=VALUE short) change what execve
  // sees; a newline or another control character breaks every format that shows the name.
  const std::vector<std::string> bad = {
      "A=B", "=B", "LD_PRELOAD=/tmp/x.so", "", std::string("A\0B", 3), "A\nB", "A\tB", "A\x7f"};
  for (const std::string& name : bad) {
    SCOPED_TRACE(json(name).dump());
    client::HttpResult r = EcsRegister("bad", name);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(TypeOf(r), "InvalidParameterException") << r.body;
    EXPECT_TRUE(Contains(r.body, "containerDefinitions[0].environment[1].name")) << r.body;

    r = RestPut("bad", name);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_TRUE(Contains(r.body, "spec.containers[0].environment[1].name")) << r.body;

    grpc::Status st = GrpcApply("bad", name);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << st.error_code() << " " << st.error_message();
    EXPECT_TRUE(Contains(st.error_message(), "spec.containers[0].environment[1].name"))
        << st.error_message();
  }
  EXPECT_TRUE(Stored().empty()) << json(Stored()).dump();

  // The same definitions with a plain name are stored through each entry point.
  client::HttpResult r = EcsRegister("good-ecs", "A_B");
  EXPECT_EQ(r.status, 200) << r.body;
  r = RestPut("good-rest", "A_B");
  EXPECT_EQ(r.status, 201) << r.body;
  grpc::Status st = GrpcApply("good-grpc", "A_B");
  EXPECT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Stored().size(), 3u) << json(Stored()).dump();
}

}  // namespace
}  // namespace gantry
