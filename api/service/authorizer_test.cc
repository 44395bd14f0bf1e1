#include "api/service/authorizer.h"

#include <gtest/gtest.h>

namespace gantry::api {
namespace {

constexpr const char* kTokens =
    "# token,user,role\n"
    "admin-token-1,alice,admin\n"
    "editor-token-1, bob , editor\n"
    "viewer-token-1,carol,viewer\n"
    "\n"
    "agent-token-01,i-123,agent\n";

TEST(AuthorizerTest, ParsesAndAuthenticates) {
  auto a = Authorizer::FromText(kTokens, "tokens.csv");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto bob = a->Authenticate("Bearer editor-token-1");
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->user, "bob");
  EXPECT_EQ(bob->role, Role::kEditor);
  EXPECT_EQ(a->Authenticate("").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(a->Authenticate("Bearer nope-nope-nope").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(a->Authenticate("Basic YWxpY2U6cHc=").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(HttpStatus(Code::kUnauthenticated), 401);
}

TEST(AuthorizerTest, FileErrorsNameTheLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"a-long-token,u,root\n", "tokens.csv line 1: unknown role 'root'"},
      {"# c\na-long-token,u\n", "tokens.csv line 2: expected token,user,role"},
      {"short,u,admin\n", "at least 8 characters"},
      {"a-long-token,u,admin\na-long-token,v,viewer\n", "line 2: the same token is listed twice"},
      {"a-long-token,,admin\n", "the user is empty"},
      {"# nothing\n", "no tokens"},
  };
  for (auto [text, message] : cases) {
    auto a = Authorizer::FromText(text, "tokens.csv");
    ASSERT_FALSE(a.ok()) << text;
    EXPECT_NE(a.status().message().find(message), std::string::npos) << a.status().message();
  }
  EXPECT_FALSE(Authorizer::FromFile("/nonexistent/tokens.csv").ok());
}

TEST(AuthorizerTest, RolePolicy) {
  auto a = *Authorizer::FromText(kTokens, "t");
  Principal admin{"alice", Role::kAdmin}, editor{"bob", Role::kEditor},
      viewer{"carol", Role::kViewer}, agent{"i-123", Role::kAgent};
  AccessRequest read{Access::kRead, "services", "web", "", false};
  AccessRequest write{Access::kWrite, "services", "web", "", false};
  for (const auto& p : {admin, editor, viewer, agent}) EXPECT_TRUE(a.Authorize(p, read).ok());
  EXPECT_TRUE(a.Authorize(admin, write).ok());
  EXPECT_TRUE(a.Authorize(editor, write).ok());
  auto denied = a.Authorize(viewer, write);
  EXPECT_EQ(denied.code(), Code::kPermissionDenied);
  EXPECT_EQ(denied.message(), "user \"carol\" (viewer) may only read");
  EXPECT_FALSE(a.Authorize(agent, write).ok());
  EXPECT_TRUE(a.Authorize(agent, {Access::kWrite, "containerinstances", "i-123", "", false}).ok());
  EXPECT_FALSE(a.Authorize(agent, {Access::kWrite, "containerinstances", "i-999", "", false}).ok());
  EXPECT_TRUE(a.Authorize(agent, {Access::kWrite, "tasks", "t1", "i-123", true}).ok());
  EXPECT_FALSE(a.Authorize(agent, {Access::kWrite, "tasks", "t1", "i-999", true}).ok());
  EXPECT_FALSE(a.Authorize(agent, {Access::kWrite, "tasks", "t1", "i-123", false}).ok());
}

}  // namespace
}  // namespace gantry::api
