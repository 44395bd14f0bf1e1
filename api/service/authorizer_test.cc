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

TEST(AuthorizerTest, BearerSchemeIsCaseInsensitive) {
  auto a = *Authorizer::FromText(kTokens, "t");
  for (const char* header : {"Bearer editor-token-1", "bearer editor-token-1",
                             "BEARER editor-token-1", "  Bearer   editor-token-1  "}) {
    auto who = a.Authenticate(header);
    ASSERT_TRUE(who.ok()) << header;
    EXPECT_EQ(who->user, "bob");
  }
  for (const char* header :
       {"bearer junk", "Bearer", "Bearer ", "Bearereditor-token-1", "editor-token-1",
        "Token editor-token-1", "Bearer editor-token-", "Bearer editor-token-12"}) {
    EXPECT_EQ(a.Authenticate(header).status().code(), Code::kUnauthenticated) << header;
  }
  EXPECT_EQ(BearerToken("bEaReR abc").value_or(""), "abc");
  EXPECT_FALSE(BearerToken("Basic abc").has_value());
}

TEST(AuthorizerTest, ClientCertificatesOnlyWhenTrusted) {
  auto a = *Authorizer::FromText(kTokens, "t");
  PeerCertificate agent{"node-1", {"Acme", "agent"}};
  EXPECT_EQ(a.Authenticate("", &agent).status().code(), Code::kUnauthenticated)
      << "no --client-ca-file, no certificate identities";
  a.TrustClientCertificates();
  auto who = a.Authenticate("", &agent);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->user, "node-1");
  EXPECT_EQ(who->role, Role::kAgent);
  PeerCertificate no_role{"node-2", {"Acme"}};
  EXPECT_EQ(a.Authenticate("", &no_role).status().code(), Code::kUnauthenticated);
  // A bearer token, when sent, decides; a bad one is not rescued by the certificate.
  EXPECT_EQ(a.Authenticate("Bearer junk-junk", &agent).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(a.Authenticate("Bearer admin-token-1", &agent)->role, Role::kAdmin);
  auto certs_only = Authorizer::CertificatesOnly();
  EXPECT_EQ(certs_only.Authenticate("", &agent)->user, "node-1");
  EXPECT_EQ(certs_only.Authenticate("Bearer admin-token-1").status().code(),
            Code::kUnauthenticated);
}

TEST(AuthorizerTest, RolePolicy) {
  auto a = *Authorizer::FromText(kTokens, "t");
  Principal admin{"alice", Role::kAdmin}, editor{"bob", Role::kEditor},
      viewer{"carol", Role::kViewer}, agent{"i-123", Role::kAgent};
  AccessRequest read{Access::kRead, "services", "web"};
  AccessRequest write{Access::kWrite, "services", "web"};
  for (const auto& p : {admin, editor, viewer}) EXPECT_TRUE(a.Authorize(p, read).ok());
  EXPECT_TRUE(a.Authorize(admin, write).ok());
  EXPECT_TRUE(a.Authorize(editor, write).ok());
  auto denied = a.Authorize(viewer, write);
  EXPECT_EQ(denied.code(), Code::kPermissionDenied);
  EXPECT_EQ(denied.message(), "user \"carol\" (viewer) may only read");
  // Agents read three kinds (object by object, through a ReadScope) and write nothing here.
  for (const char* kind : {"containerinstances", "tasks", "taskdefinitions"}) {
    EXPECT_TRUE(a.Authorize(agent, {Access::kRead, kind, ""}).ok()) << kind;
    EXPECT_FALSE(a.Authorize(agent, {Access::kWrite, kind, "i-123"}).ok()) << kind;
  }
  // Secrets: admins and editors only; a viewer sees the cluster, not its credentials.
  AccessRequest read_secret{Access::kRead, "secrets", "git"};
  EXPECT_TRUE(a.Authorize(admin, read_secret).ok());
  EXPECT_TRUE(a.Authorize(editor, read_secret).ok());
  EXPECT_EQ(a.Authorize(viewer, read_secret).message(),
            "user \"carol\" (viewer) may not read secrets");
  EXPECT_EQ(a.Authorize(viewer, {Access::kRead, "secrets", ""}).code(), Code::kPermissionDenied)
      << "nor list or watch them";
  for (const char* kind :
       {"services", "events", "clusters", "environments", "deployments", "secrets"}) {
    EXPECT_EQ(a.Authorize(agent, {Access::kRead, kind, ""}).code(), Code::kPermissionDenied)
        << kind;
    EXPECT_EQ(a.Authorize(agent, {Access::kWrite, kind, ""}).code(), Code::kPermissionDenied)
        << kind;
  }
}

}  // namespace
}  // namespace gantry::api
