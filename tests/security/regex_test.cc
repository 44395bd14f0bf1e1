// Finding 2: std::regex backtracks, so 32 viewers' ListContainerInstances with the filter
// `attribute:x =~ "(a|a)*b"` against a 40-character attribute pinned gantryd (each character
// doubles the time) and /healthz stopped answering. With RE2 the same filters answer at once,
// correctly, and gantryd stays responsive.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/testlib/gantry_processes.h"

namespace gantry {
namespace {

using json = nlohmann::json;

constexpr const char* kTokens =
    "admin-token-0001,alice,admin\n"
    "viewer-token-001,victor,viewer\n";
constexpr const char* kAdmin = "Bearer admin-token-0001";
constexpr const char* kViewer = "Bearer viewer-token-001";

class RegexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(gantryd_.ready()) << gantryd_.log();
    auto r =
        gantryd_.Ecs("CreateCluster", R"({"clusterName":"demo"})", {{"Authorization", kAdmin}});
    ASSERT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
    json reg = {{"cluster", "demo"},
                {"totalResources",
                 json::array({{{"name", "CPU"}, {"type", "INTEGER"}, {"integerValue", 2048}},
                              {{"name", "MEMORY"}, {"type", "INTEGER"}, {"integerValue", 4096}}})},
                {"attributes", json::array({{{"name", "x"}, {"value", std::string(40, 'a')}}})}};
    r = gantryd_.Ecs("RegisterContainerInstance", reg.dump(), {{"Authorization", kAdmin}});
    ASSERT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
    instance_arn_ = json::parse(r->body)["containerInstance"]["containerInstanceArn"];
  }

  // The instances a viewer's filtered ListContainerInstances returns, or an error text.
  static api::StatusOr<std::vector<std::string>> List(const testlib::Gantryd& gantryd,
                                                      const std::string& filter) {
    json body = {{"cluster", "demo"}, {"filter", filter}};
    auto r = gantryd.Ecs("ListContainerInstances", body.dump(), {{"Authorization", kViewer}});
    if (!r.ok()) return r.status();
    if (r->status != 200) {
      return api::Status(api::Code::kInternal, "HTTP " + std::to_string(r->status) + " " + r->body);
    }
    json answer = json::parse(r->body);  // kept: a range-for over a temporary's member dangles
    std::vector<std::string> arns;
    for (const auto& arn : answer["containerInstanceArns"]) arns.push_back(arn);
    return arns;
  }

  testlib::TempDir tokens_dir_;
  testlib::Gantryd gantryd_{{"--token-file", [this] {
                               std::string p = tokens_dir_.path() + "/tokens.csv";
                               std::ofstream(p) << kTokens;
                               return p;
                             }()}};
  std::string instance_arn_;
};

TEST_F(RegexTest, ConcurrentBacktrackingFiltersAnswerAndHealthzStaysUp) {
  // The attribute is there and regular expressions work at all.
  auto listed = List(gantryd_, "attribute:x =~ \"a+\"");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(*listed, std::vector<std::string>{instance_arn_});

  // 32 at once, as the audit sent them. Each answer must come within the client's 10 s timeout
  // (before RE2, each would have needed about 2^40 steps).
  constexpr int kClients = 32;
  std::vector<api::StatusOr<std::vector<std::string>>> results(
      kClients, api::Status(api::Code::kUnknown, "not run"));
  std::vector<std::thread> clients;
  for (int k = 0; k < kClients; ++k) {
    clients.emplace_back([&, k] {
      results[k] =
          List(gantryd_, k % 2 == 0 ? "attribute:x =~ \"(a|a)*b\"" : "attribute:x !~ \"(a|a)*b\"");
    });
  }
  // gantryd keeps answering meanwhile.
  auto health = gantryd_.Http("", std::chrono::seconds(5)).Request("GET", "/healthz");
  for (auto& c : clients) c.join();
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200) << health->body;
  for (int k = 0; k < kClients; ++k) {
    ASSERT_TRUE(results[k].ok()) << "client " << k << ": " << results[k].status().ToString();
    if (k % 2 == 0) {
      EXPECT_TRUE(results[k]->empty()) << "client " << k;  // 40 a's and no b: no match
    } else {
      EXPECT_EQ(*results[k], std::vector<std::string>{instance_arn_}) << "client " << k;
    }
  }
}

TEST_F(RegexTest, PathologicalPatternsAreRefusedWithTheirPosition) {
  auto listed = List(gantryd_, "attribute:x =~ '.{1000}'");
  ASSERT_FALSE(listed.ok());
  EXPECT_NE(listed.status().message().find("InvalidParameterException"), std::string::npos)
      << listed.status().message();
  EXPECT_NE(listed.status().message().find("HTTP 400"), std::string::npos)
      << listed.status().message();
  EXPECT_NE(listed.status().message().find("is too large"), std::string::npos)
      << listed.status().message();
  EXPECT_NE(listed.status().message().find("at column 16"), std::string::npos)
      << listed.status().message();
  listed = List(gantryd_, "attribute:x =~ '(a)\\\\1'");
  ASSERT_FALSE(listed.ok());
  EXPECT_NE(listed.status().message().find("invalid regular expression"), std::string::npos)
      << listed.status().message();
}

}  // namespace
}  // namespace gantry
