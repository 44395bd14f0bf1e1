// Finding 1: with --token-file set, the ECS endpoint ran CreateCluster, RegisterTaskDefinition
// and RunTask for a caller with no Authorization header, or with "bearer junk". Now every ECS
// call authenticates once any authentication is configured, the bearer scheme name is
// case-insensitive (RFC 7235), and a viewer still may only read.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/testlib/gantry_processes.h"

namespace gantry {
namespace {

using json = nlohmann::json;

constexpr const char* kTokens =
    "admin-token-0001,alice,admin\n"
    "editor-token-001,erin,editor\n"
    "viewer-token-001,victor,viewer\n";

class EcsAuthTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(gantryd_.ready()) << gantryd_.log(); }

  // The clusters as an admin sees them.
  std::vector<std::string> Clusters() {
    auto r = gantryd_.Ecs("ListClusters", "{}", {{"Authorization", "Bearer admin-token-0001"}});
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return {};
    std::vector<std::string> names;
    const json list = json::parse(r->body);  // kept: a range-for over a temporary's member dangles
    for (const auto& arn : list["clusterArns"]) names.push_back(arn.get<std::string>());
    return names;
  }

  testlib::TempDir tokens_dir_;
  testlib::Gantryd gantryd_{{"--token-file", [this] {
                               std::string p = tokens_dir_.path() + "/tokens.csv";
                               std::ofstream(p) << kTokens;
                               return p;
                             }()}};
};

TEST_F(EcsAuthTest, NoAuthorizationHeaderIsRefused) {
  auto r = gantryd_.Ecs("CreateCluster", R"({"clusterName":"pwned"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("MissingAuthenticationTokenException"), std::string::npos) << r->body;
  EXPECT_TRUE(Clusters().empty());

  r = gantryd_.Ecs("RegisterTaskDefinition",
                   R"({"family":"x","containerDefinitions":[{"name":"a",)"
                   R"("command":["/bin/sh","-c","id > /tmp/x"],"memory":16}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403) << r->body;
  r = gantryd_.Ecs("ListClusters", "{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403) << "even reads need a credential: " << r->body;
}

TEST_F(EcsAuthTest, JunkBearerTokenIsRefusedWhateverTheSchemeCase) {
  for (const char* header : {"bearer junk", "BEARER junk", "Bearer junk", "Bearer", "junk",
                             "Basic YWRtaW46YWRtaW4=", "AWS4-HMAC-SHA256 junk"}) {
    auto r =
        gantryd_.Ecs("CreateCluster", R"({"clusterName":"pwned"})", {{"Authorization", header}});
    ASSERT_TRUE(r.ok());
    EXPECT_GE(r->status, 400) << header << ": " << r->body;
    EXPECT_LT(r->status, 500) << header << ": " << r->body;
  }
  EXPECT_TRUE(Clusters().empty());
}

TEST_F(EcsAuthTest, ValidTokenWorksWithAnySchemeCase) {
  for (const char* scheme : {"Bearer", "bearer", "BEARER"}) {
    auto r = gantryd_.Ecs("CreateCluster", R"({"clusterName":"ok"})",
                          {{"Authorization", std::string(scheme) + " editor-token-001"}});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200) << scheme << ": " << r->body;
  }
  EXPECT_EQ(Clusters().size(), 1u);
}

TEST_F(EcsAuthTest, ViewerMayReadButNotWrite) {
  auto r = gantryd_.Ecs("CreateCluster", R"({"clusterName":"v"})",
                        {{"Authorization", "Bearer viewer-token-001"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("AccessDeniedException"), std::string::npos) << r->body;
  r = gantryd_.Ecs("ListClusters", "{}", {{"Authorization", "Bearer viewer-token-001"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(Clusters().empty());
}

TEST_F(EcsAuthTest, EveryRouteButHealthAuthenticates) {
  auto http = gantryd_.Http();
  for (const char* path :
       {"/apis/gantry.dev/v1/tasks", "/apis/gantry.dev/v1/events?watch=true", "/metrics",
        "/version", "/apis/gantry.dev/v1/tasks/x/log", "/v1/environments", "/nowhere"}) {
    auto r = http.Request("GET", path);
    ASSERT_TRUE(r.ok()) << path;
    EXPECT_EQ(r->status, 401) << path << ": " << r->body;
  }
  for (const char* path : {"/healthz", "/readyz"}) {
    auto r = http.Request("GET", path);
    ASSERT_TRUE(r.ok()) << path;
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
  }
}

}  // namespace
}  // namespace gantry
