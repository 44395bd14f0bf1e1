#include "api/rest/rest_handler.h"

#include <gtest/gtest.h>

#include "store/memory/memory_store.h"

namespace gantry::rest {
namespace {

const std::string kService =
    R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web","labels":{"app":"web"}},)"
    R"("spec":{"cluster":"default","taskDefinition":"web","desiredCount":2}})";

class RestHandlerTest : public ::testing::Test {
 protected:
  HttpResponse Do(const std::string& method, const std::string& path, const std::string& body = "",
                  std::map<std::string, std::string> query = {}) {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.body = body;
    r.query = std::move(query);
    return handler_.Handle(r);
  }
  store::MemoryStore store_;
  api::FakeClock clock_;
  api::ObjectService service_{store_, clock_};
  RestHandler handler_{service_};
};

TEST_F(RestHandlerTest, HealthAndUnknownPaths) {
  EXPECT_EQ(Do("GET", "/healthz").status, 200);
  EXPECT_EQ(Do("GET", "/readyz").body, "ok\n");
  auto nope = Do("GET", "/apis/gantry.dev/v1/pods");
  EXPECT_EQ(nope.status, 404);
  EXPECT_EQ(nope.body, R"({"code":404,"reason":"NotFound","message":"no such resource: pods"})");
  EXPECT_EQ(Do("GET", "/nothing").status, 404);
  EXPECT_EQ(Do("GET", "/apis/gantry.dev/v1/services/web/extra/more").status, 404);
}

TEST_F(RestHandlerTest, PutAppliesWithOutcomeHeader) {
  auto created = Do("PUT", "/apis/gantry.dev/v1/services/web", kService);
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers["X-Gantry-Apply-Outcome"], "created");
  EXPECT_NE(created.body.find("\"resourceVersion\":\"1\""), std::string::npos) << created.body;
  auto unchanged = Do("PUT", "/apis/gantry.dev/v1/services/web", kService);
  EXPECT_EQ(unchanged.status, 200);
  EXPECT_EQ(unchanged.headers["X-Gantry-Apply-Outcome"], "unchanged");
  auto mismatch = Do("PUT", "/apis/gantry.dev/v1/services/api", kService);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_NE(mismatch.body.find("metadata.name"), std::string::npos);
  auto wrong_kind = Do("PUT", "/apis/gantry.dev/v1/tasks/web", kService);
  EXPECT_EQ(wrong_kind.status, 400);
  EXPECT_NE(wrong_kind.body.find("request body is a Service"), std::string::npos);
}

TEST_F(RestHandlerTest, PostGetListDelete) {
  EXPECT_EQ(Do("POST", "/apis/gantry.dev/v1/services", kService).status, 201);
  auto dup = Do("POST", "/apis/gantry.dev/v1/services", kService);
  EXPECT_EQ(dup.status, 409);
  EXPECT_NE(dup.body.find("\"reason\":\"AlreadyExists\""), std::string::npos);
  auto got = Do("GET", "/apis/gantry.dev/v1/services/web");
  EXPECT_EQ(got.status, 200);
  EXPECT_NE(got.body.find("\"desiredCount\":2"), std::string::npos) << got.body;  // int64 as string
  auto list = Do("GET", "/apis/gantry.dev/v1/services", "", {{"labelSelector", "app=web"}});
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(
      list.body.rfind(
          R"({"apiVersion":"gantry.dev/v1","kind":"ServiceList","metadata":{"resourceVersion":"1"},"items":[{)",
          0),
      0u)
      << list.body;
  auto none = Do("GET", "/apis/gantry.dev/v1/services", "", {{"labelSelector", "app=db"}});
  EXPECT_NE(none.body.find("\"items\":[]"), std::string::npos);
  EXPECT_EQ(Do("GET", "/apis/gantry.dev/v1/services", "", {{"labelSelector", "app in"}}).status,
            400);
  EXPECT_EQ(Do("DELETE", "/apis/gantry.dev/v1/services/web", "", {{"resourceVersion", "7"}}).status,
            409);
  EXPECT_EQ(Do("DELETE", "/apis/gantry.dev/v1/services/web").status, 200);
  EXPECT_EQ(Do("GET", "/apis/gantry.dev/v1/services/web").status, 404);
}

TEST_F(RestHandlerTest, ListPages) {
  for (const char* name : {"a", "b", "c"}) {
    std::string body = kService;
    body.replace(body.find("\"name\":\"web\""), 12, std::string("\"name\":\"") + name + "\"");
    ASSERT_EQ(Do("PUT", std::string("/apis/gantry.dev/v1/services/") + name, body).status, 201);
  }
  auto first = Do("GET", "/apis/gantry.dev/v1/services", "", {{"limit", "2"}});
  EXPECT_EQ(first.status, 200);
  EXPECT_NE(first.body.find("\"metadata\":{\"resourceVersion\":\"3\",\"continue\":\"b\"}"),
            std::string::npos)
      << first.body;
  auto second = Do("GET", "/apis/gantry.dev/v1/services", "", {{"limit", "2"}, {"continue", "b"}});
  EXPECT_NE(second.body.find("\"name\":\"c\""), std::string::npos);
  EXPECT_EQ(second.body.find("\"continue\""), std::string::npos) << second.body;
  EXPECT_EQ(Do("GET", "/apis/gantry.dev/v1/services", "", {{"limit", "many"}}).status, 400);
  EXPECT_EQ(Do("GET", "/apis/gantry.dev/v1/services", "", {{"limit", "-1"}}).status, 400);
}

TEST_F(RestHandlerTest, BadBodiesAreClearFourHundreds) {
  const std::pair<std::string, std::string> cases[] = {
      {"{", "request body"},
      {"", "exactly one object"},
      {R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web"},"spec":{"replicas":1}})",
       "unknown field 'replicas'"},
      {R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web"},"spec":{"desiredCount":"x"}})",
       "spec.desiredCount: must be a 32-bit integer"},
      {R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web"},"spec":{"taskDefinition":"t","placementConstraints":[{"type":"memberOf","expression":"attribute:stack prod"}]}})",
       "at column 17"},
      {"a: &a [x]\nb: &b [*a, *a]\n", "document 1, line 1, column 1: kind: is required\"}"},
      {std::string(2000, '[') + std::string(2000, ']'), "malformed"},
  };
  for (const auto& [body, message] : cases) {
    auto r = Do("PUT", "/apis/gantry.dev/v1/services/web", body);
    EXPECT_EQ(r.status, 400) << body.substr(0, 80) << " -> " << r.body;
    EXPECT_NE(r.body.find(message), std::string::npos) << r.body;
    EXPECT_EQ(r.body.rfind("{\"code\":400,\"reason\":\"Invalid\",\"message\":", 0), 0u) << r.body;
  }
}

TEST_F(RestHandlerTest, MergePatch) {
  ASSERT_EQ(Do("PUT", "/apis/gantry.dev/v1/services/web", kService).status, 201);
  auto patched =
      Do("PATCH", "/apis/gantry.dev/v1/services/web",
         R"({"spec":{"desiredCount":5},"metadata":{"labels":{"app":null,"tier":"front"}}})");
  EXPECT_EQ(patched.status, 200) << patched.body;
  EXPECT_NE(patched.body.find("\"desiredCount\":5"), std::string::npos) << patched.body;
  EXPECT_NE(patched.body.find("\"tier\":\"front\""), std::string::npos);
  EXPECT_EQ(patched.body.find("\"app\":"), std::string::npos);
  auto stale = Do("PATCH", "/apis/gantry.dev/v1/services/web",
                  R"({"metadata":{"resourceVersion":"1"},"spec":{"desiredCount":6}})");
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_EQ(Do("PATCH", "/apis/gantry.dev/v1/services/web", "[1]").status, 400);
  EXPECT_EQ(Do("PATCH", "/apis/gantry.dev/v1/services/none", "{}").status, 404);
}

TEST_F(RestHandlerTest, ServerSideApplyIsAPatchOfApplyYamlNamingItsManager) {
  auto apply = [&](const std::string& body, std::map<std::string, std::string> query,
                   const std::string& type = "application/apply-patch+yaml") {
    HttpRequest r;
    r.method = "PATCH";
    r.path = "/apis/gantry.dev/v1/services/web";
    r.body = body;
    r.query = std::move(query);
    r.headers["content-type"] = type;
    return handler_.Handle(r);
  };
  const std::string web =
      "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web}\n"
      "spec: {cluster: default, taskDefinition: web, desiredCount: 2}\n";
  auto anonymous = apply(web, {});
  EXPECT_EQ(anonymous.status, 400);
  EXPECT_NE(anonymous.body.find("fieldManager"), std::string::npos) << anonymous.body;

  auto created =
      apply(web, {{"fieldManager", "ci"}}, "application/apply-patch+yaml; charset=utf-8");
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers["X-Gantry-Apply-Outcome"], "created");
  EXPECT_NE(created.body.find(R"("managedFields":[{"manager":"ci","operation":"Apply")"),
            std::string::npos)
      << created.body;

  // Another writer's merge patch takes desiredCount; the next apply of 2 is a 409 naming it.
  HttpRequest patch;
  patch.method = "PATCH";
  patch.path = "/apis/gantry.dev/v1/services/web";
  patch.body = R"({"spec":{"desiredCount":4}})";
  patch.query = {{"fieldManager", "autoscaler"}};
  ASSERT_EQ(handler_.Handle(patch).status, 200);
  auto conflict = apply(web, {{"fieldManager", "ci"}});
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_NE(conflict.body.find(R"(conflict with \"autoscaler\": spec.desiredCount)"),
            std::string::npos)
      << conflict.body;
  auto forced = apply(web, {{"fieldManager", "ci"}, {"force", "true"}});
  EXPECT_EQ(forced.status, 200) << forced.body;
  EXPECT_NE(forced.body.find("\"desiredCount\":2"), std::string::npos) << forced.body;

  // Bad input: a body of another name, a broken body, an unprintable manager.
  EXPECT_EQ(apply("apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: api}\n",
                  {{"fieldManager", "ci"}})
                .status,
            400);
  auto broken = apply("spec: [", {{"fieldManager", "ci"}});
  EXPECT_EQ(broken.status, 400);
  EXPECT_NE(broken.body.find("line"), std::string::npos) << broken.body;
  EXPECT_EQ(apply(web, {{"fieldManager", std::string("a\x01b")}}).status, 400);
}

TEST_F(RestHandlerTest, StatusSubresourceAndDryRun) {
  auto dry = Do("PUT", "/apis/gantry.dev/v1/services/web", kService, {{"dryRun", "All"}});
  EXPECT_EQ(dry.status, 201);
  EXPECT_EQ(store_.CurrentRevision(), 0);
  ASSERT_EQ(Do("PUT", "/apis/gantry.dev/v1/services/web", kService).status, 201);
  auto status = Do(
      "PUT", "/apis/gantry.dev/v1/services/web/status",
      R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":"web"},"status":{"runningCount":2}})");
  EXPECT_EQ(status.status, 200) << status.body;
  EXPECT_NE(status.body.find("\"runningCount\":2"), std::string::npos);
}

TEST_F(RestHandlerTest, WatchReturnsAStreamAndGoneForCompacted) {
  auto w =
      Do("GET", "/apis/gantry.dev/v1/services", "", {{"watch", "1"}, {"resourceVersion", "0"}});
  EXPECT_TRUE(w.watch != nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store_.Create("/x/" + std::to_string(i), "v").ok());
  ASSERT_TRUE(store_.Compact(2).ok());
  auto gone =
      Do("GET", "/apis/gantry.dev/v1/services", "", {{"watch", "true"}, {"resourceVersion", "1"}});
  EXPECT_EQ(gone.status, 410);
  EXPECT_NE(gone.body.find("\"reason\":\"Gone\""), std::string::npos);
}

}  // namespace
}  // namespace gantry::rest
