// Runs every scenario under tests/placement_scenarios/ through `gantryctl simulate` and compares
// the result with the scenario's `expect` block. A scenario is:
//
//   name: what it shows
//   input: { instances: [...], filter: ..., request: {...} }   # a simulate input document
//   expect:
//     instances: [...]          # filter result, exact
//     placements: [...]         # placed instance per task, exact and in order
//     placementCounts: {id: n}  # tasks per instance, order-independent
//     placementsWithin: [...]   # every placement is one of these
//     failures: [...]           # failure reasons, exact
//     error: "substring"        # exit code 2, stderr contains it, stdout empty

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cli/simulate/command.h"

namespace gantry {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> files;
  // Not __FILE__: ccache's base_dir makes it relative to the build directory.
  fs::path dir = fs::path(GANTRY_SCENARIO_DIR);
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> Strings(const YAML::Node& n) {
  std::vector<std::string> out;
  for (const auto& item : n) out.push_back(item.as<std::string>());
  return out;
}

// Pulls the values of a JSON string array `"key": [...]` out of simulate's one-line output.
std::vector<std::string> JsonArray(const std::string& json, const std::string& key) {
  YAML::Node doc = YAML::Load(json);  // JSON is YAML
  std::vector<std::string> out;
  if (!doc[key]) return out;
  for (const auto& item : doc[key]) {
    out.push_back(item.IsMap() ? item["reason"].as<std::string>() : item.as<std::string>());
  }
  return out;
}

class ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTest, MatchesExpectation) {
  const std::string& file = GetParam();
  YAML::Node scenario = YAML::LoadFile(file);
  ASSERT_TRUE(scenario["input"]) << file << ": no input";
  ASSERT_TRUE(scenario["expect"]) << file << ": no expect";
  SCOPED_TRACE(scenario["name"] ? scenario["name"].as<std::string>() : file);

  YAML::Emitter emitter;
  emitter << scenario["input"];
  fs::path input =
      fs::path(::testing::TempDir()) / ("scenario-" + fs::path(file).filename().string());
  {
    std::ofstream f(input);
    f << emitter.c_str() << "\n";
  }
  std::ostringstream out, err;
  int code = cli::RunSimulate({"-f", input.string()}, out, err);
  fs::remove(input);

  const YAML::Node& expect = scenario["expect"];
  if (expect["error"]) {
    EXPECT_EQ(code, 2) << out.str();
    EXPECT_EQ(out.str(), "");
    EXPECT_NE(err.str().find(expect["error"].as<std::string>()), std::string::npos)
        << "stderr: " << err.str();
    return;
  }
  ASSERT_EQ(code, 0) << err.str();
  const std::string json = out.str();
  if (expect["instances"]) {
    EXPECT_EQ(JsonArray(json, "instances"), Strings(expect["instances"]));
  }
  std::vector<std::string> placements = JsonArray(json, "placements");
  if (expect["placements"]) {
    EXPECT_EQ(placements, Strings(expect["placements"]));
  }
  if (expect["placementCounts"]) {
    std::map<std::string, int> want, got;
    for (const auto& kv : expect["placementCounts"])
      want[kv.first.as<std::string>()] = kv.second.as<int>();
    for (const auto& p : placements) ++got[p];
    for (auto it = want.begin(); it != want.end();) it = it->second == 0 ? want.erase(it) : ++it;
    EXPECT_EQ(got, want) << json;
  }
  if (expect["placementsWithin"]) {
    auto allowed = Strings(expect["placementsWithin"]);
    std::set<std::string> set(allowed.begin(), allowed.end());
    for (const auto& p : placements) EXPECT_TRUE(set.count(p)) << p << " in " << json;
  }
  if (expect["failures"]) {
    EXPECT_EQ(JsonArray(json, "failures"), Strings(expect["failures"]));
  }
}

std::string ScenarioName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioTest, ::testing::ValuesIn(ScenarioFiles()),
                         ScenarioName);

TEST(ScenarioFilesTest, ThereAreScenarios) { EXPECT_GE(ScenarioFiles().size(), 30u); }

}  // namespace
}  // namespace gantry
