// Black-box tests for `gantryctl simulate`: exit codes, exact stdout, and one-line errors on
// stderr that name the field path and its position in the file.

#include "cli/simulate/command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace gantry::cli {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
  std::string path;  // the input file, as passed to -f
};

// A file name under the test temp dir that no other test (or process) uses.
std::string UniquePath() {
  static int counter = 0;
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info != nullptr ? std::string(info->name()) : "test";
  std::string file = "simulate_" + name + "_" + std::to_string(::getpid()) + "_" +
                     std::to_string(counter++) + ".yaml";
  return (std::filesystem::path(::testing::TempDir()) / file).string();
}

RunResult RunCli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  RunResult r;
  r.code = RunSimulate(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// Writes `contents` to a temporary file, runs `gantryctl simulate -f FILE [extra...]` and removes
// the file again.
RunResult RunFile(const std::string& contents, const std::vector<std::string>& extra = {}) {
  std::string path = UniquePath();
  {
    std::ofstream f(path, std::ios::binary);
    f << contents;
    EXPECT_TRUE(f.good()) << "cannot write " << path;
  }
  std::vector<std::string> args = {"-f", path};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = RunCli(args);
  r.path = path;
  std::remove(path.c_str());
  return r;
}

void ExpectOneLine(const std::string& text) {
  EXPECT_THAT(text, EndsWith("\n"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
}

// Exit 2, nothing on stdout, and one line on stderr: "gantryctl simulate: FILE:L:C: FIELD: MSG".
void ExpectBadInput(const RunResult& r, const std::string& field, const std::string& message) {
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("gantryctl simulate: " + r.path + ":"));
  EXPECT_THAT(r.err, HasSubstr(": " + field + ": " + message + "\n"));
  ExpectOneLine(r.err);
}

// The strings of the JSON array `"key": [...]` in simulate's one-line output.
std::vector<std::string> JsonList(const std::string& json, const std::string& key) {
  std::vector<std::string> items;
  size_t start = json.find("\"" + key + "\": [");
  if (start == std::string::npos) return items;
  start = json.find('[', start) + 1;
  size_t end = json.find(']', start);
  std::string body = json.substr(start, end - start);
  size_t pos = 0;
  while ((pos = body.find('"', pos)) != std::string::npos) {
    size_t close = body.find('"', pos + 1);
    items.push_back(body.substr(pos + 1, close - pos - 1));
    pos = close + 1;
  }
  return items;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A table row as the explain output prints it: each cell but the last padded to its column's
// width plus two spaces. With as many widths as cells, the last cell is padded too.
std::string Row(const std::vector<std::string>& cells, const std::vector<size_t>& widths) {
  std::string line;
  for (size_t c = 0; c < cells.size(); ++c) {
    line += cells[c];
    if (c < widths.size()) line += std::string(widths[c] - cells[c].size() + 2, ' ');
  }
  return line;
}

constexpr const char* kFilterCluster =
    "instances:\n"
    "  - id: i-1\n"
    "    attributes: {stack: prod}\n"
    "  - id: i-2\n"
    "    attributes: {stack: dev}\n"
    "  - id: i-3\n"
    "    status: DRAINING\n"
    "    attributes: {stack: prod}\n"
    "  - id: i-4\n"
    "    status: INACTIVE\n"
    "    attributes: {stack: prod}\n"
    "  - id: i-5\n";

// A whole run that must succeed: exit 0, exactly `out` on stdout, nothing on stderr.
struct OutputCase {
  const char* name;
  const char* input;
  const char* out;
};

template <size_t N>
void ExpectOutputs(const OutputCase (&cases)[N]) {
  for (const OutputCase& c : cases) {
    SCOPED_TRACE(c.name);
    RunResult r = RunFile(c.input);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, c.out);
    EXPECT_EQ(r.err, "");
  }
}

TEST(SimulateCommandTest, FilterListsMatchesInFileOrder) {
  RunResult r = RunFile(std::string(kFilterCluster) + "filter: \"attribute:stack == prod\"\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"instances\": [\"i-1\", \"i-3\"]}\n");
  EXPECT_EQ(r.err, "");
}

TEST(SimulateCommandTest, FilterExpressions) {
  struct Case {
    const char* filter;
    const char* out;
  };
  // i-4 is INACTIVE and matches every expression that i-1 matches; it is never listed.
  const Case cases[] = {
      {"attribute:stack == prod", "{\"instances\": [\"i-1\", \"i-3\"]}\n"},
      {"attribute:stack exists", "{\"instances\": [\"i-1\", \"i-2\", \"i-3\"]}\n"},
      {"attribute:stack in [dev, prod]", "{\"instances\": [\"i-1\", \"i-2\", \"i-3\"]}\n"},
      {"attribute:stack == dev", "{\"instances\": [\"i-2\"]}\n"},
      {"attribute:stack == staging", "{\"instances\": []}\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.filter);
    RunResult r = RunFile(std::string(kFilterCluster) + "filter: \"" + c.filter + "\"\n");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, c.out);
    EXPECT_EQ(r.err, "");
  }
}

TEST(SimulateCommandTest, FilterExcludesInactiveInstancesEvenWhenTheyMatch) {
  RunResult r = RunFile(
      "instances:\n"
      "  - id: i-1\n"
      "    status: INACTIVE\n"
      "    attributes: {stack: prod}\n"
      "  - id: i-2\n"
      "    status: INACTIVE\n"
      "    attributes: {stack: prod}\n"
      "filter: \"attribute:stack == prod\"\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"instances\": []}\n");
}

TEST(SimulateCommandTest, OutputEscapesIds) {
  RunResult r = RunFile(
      "instances:\n"
      "  - id: 'i-\"q\"'\n"
      "    attributes: {stack: prod}\n"
      "filter: \"attribute:stack exists\"\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"instances\": [\"i-\\\"q\\\"\"]}\n");
}

TEST(SimulateCommandTest, PlacementOutput) {
  const OutputCase cases[] = {
      {"binpack memory until memory runs out",
       "instances:\n"
       "  - {id: i-1, cpu: 4096, memory: 512}\n"
       "  - {id: i-2, cpu: 4096, memory: 2048}\n"
       "request:\n"
       "  count: 3\n"
       "  memory: 1024\n"
       "  placementStrategy:\n"
       "    - {type: binpack, field: memory}\n",
       "{\"placements\": [\"i-2\", \"i-2\"], \"failures\": [{\"reason\": \"RESOURCE:MEMORY\"}]}\n"},
      {"binpack memory fills the fullest instance first",
       "instances:\n"
       "  - {id: i-1, cpu: 4096, memory: 4096}\n"
       "  - {id: i-2, cpu: 4096, memory: 2048}\n"
       "  - {id: i-3, cpu: 4096, memory: 3072}\n"
       "request:\n"
       "  count: 6\n"
       "  memory: 1024\n"
       "  placementStrategy:\n"
       "    - {type: binpack, field: memory}\n",
       "{\"placements\": [\"i-2\", \"i-2\", \"i-3\", \"i-3\", \"i-3\", \"i-1\"], "
       "\"failures\": []}\n"},
      {"binpack cpu",
       "instances:\n"
       "  - {id: i-1, cpu: 2048, memory: 4096}\n"
       "  - {id: i-2, cpu: 1024, memory: 4096}\n"
       "  - {id: i-3, cpu: 4096, memory: 4096}\n"
       "request:\n"
       "  count: 3\n"
       "  cpu: 512\n"
       "  placementStrategy:\n"
       "    - {type: binpack, field: cpu}\n",
       "{\"placements\": [\"i-2\", \"i-2\", \"i-1\"], \"failures\": []}\n"},
      {"a single eligible instance takes every task",
       "instances:\n"
       "  - {id: i-1, status: DRAINING, cpu: 4096, memory: 4096}\n"
       "  - {id: i-2, cpu: 4096, memory: 4096}\n"
       "  - {id: i-3, agentConnected: false, cpu: 4096, memory: 4096}\n"
       "request:\n"
       "  count: 2\n"
       "  seed: 99\n",
       "{\"placements\": [\"i-2\", \"i-2\"], \"failures\": []}\n"},
      {"spread instanceId counts existing tasks of the family group, then binpack",
       "instances:\n"
       "  - id: i-1\n"
       "    memory: 4096\n"
       "    tasks: [{group: \"family:web\"}, {group: \"family:web\"}]\n"
       "  - id: i-2\n"
       "    memory: 2048\n"
       "  - id: i-3\n"
       "    memory: 1024\n"
       "    tasks: [{group: \"family:web\"}, {group: \"family:other\"}]\n"
       "request:\n"
       "  taskDefinition: web:1\n"
       "  count: 3\n"
       "  memory: 256\n"
       "  placementStrategy:\n"
       "    - {type: spread, field: instanceId}\n"
       "    - {type: binpack, field: memory}\n",
       "{\"placements\": [\"i-2\", \"i-3\", \"i-2\"], \"failures\": []}\n"},
      {"spread over an attribute, then binpack",
       "instances:\n"
       "  - id: i-1\n"
       "    memory: 1024\n"
       "    attributes: {zone: a}\n"
       "    tasks: [{group: \"family:web\"}]\n"
       "  - id: i-2\n"
       "    memory: 2048\n"
       "    attributes: {zone: a}\n"
       "  - id: i-3\n"
       "    memory: 4096\n"
       "    attributes: {zone: b}\n"
       "request:\n"
       "  taskDefinition: web:1\n"
       "  count: 3\n"
       "  memory: 256\n"
       "  placementStrategy:\n"
       "    - {type: spread, field: \"attribute:zone\"}\n"
       "    - {type: binpack, field: memory}\n",
       "{\"placements\": [\"i-3\", \"i-1\", \"i-3\"], \"failures\": []}\n"},
      {"distinctInstance puts one task per instance",
       "instances:\n"
       "  - {id: i-1, memory: 1024}\n"
       "  - {id: i-2, memory: 2048}\n"
       "  - {id: i-3, memory: 4096}\n"
       "request:\n"
       "  count: 4\n"
       "  placementConstraints:\n"
       "    - type: distinctInstance\n"
       "  placementStrategy:\n"
       "    - {type: binpack, field: memory}\n",
       "{\"placements\": [\"i-1\", \"i-2\", \"i-3\"], \"failures\": [{\"reason\": "
       "\"DistinctInstance placement constraint unsatisfied.\"}]}\n"},
      {"memberOf narrows the candidates",
       "instances:\n"
       "  - {id: i-1, memory: 1024, attributes: {stack: dev}}\n"
       "  - {id: i-2, memory: 4096, attributes: {stack: prod}}\n"
       "  - {id: i-3, memory: 2048, attributes: {stack: dev}}\n"
       "request:\n"
       "  count: 2\n"
       "  placementConstraints:\n"
       "    - {type: memberOf, expression: \"attribute:stack == prod\"}\n"
       "  placementStrategy:\n"
       "    - {type: binpack, field: memory}\n",
       "{\"placements\": [\"i-2\", \"i-2\"], \"failures\": []}\n"},
  };
  ExpectOutputs(cases);
}

TEST(SimulateCommandTest, FailureReasons) {
  const OutputCase cases[] = {
      {"AGENT: every instance draining",
       "instances:\n"
       "  - {id: i-1, status: DRAINING, cpu: 4096, memory: 4096}\n"
       "  - {id: i-2, status: DRAINING, cpu: 4096, memory: 4096}\n"
       "request:\n"
       "  count: 2\n",
       "{\"placements\": [], \"failures\": [{\"reason\": \"AGENT\"}, {\"reason\": \"AGENT\"}]}\n"},
      {"AGENT: agent disconnected",
       "instances:\n"
       "  - {id: i-1, agentConnected: false, cpu: 4096, memory: 4096}\n"
       "request: {}\n",
       "{\"placements\": [], \"failures\": [{\"reason\": \"AGENT\"}]}\n"},
      {"AGENT: no instances at all", "instances: []\nrequest: {}\n",
       "{\"placements\": [], \"failures\": [{\"reason\": \"AGENT\"}]}\n"},
      {"RESOURCE:CPU",
       "instances:\n"
       "  - {id: i-1, cpu: 512, memory: 4096}\n"
       "request:\n"
       "  cpu: 1024\n",
       "{\"placements\": [], \"failures\": [{\"reason\": \"RESOURCE:CPU\"}]}\n"},
      {"RESOURCE:CPU counts the tasks already running",
       "instances:\n"
       "  - id: i-1\n"
       "    cpu: 2048\n"
       "    memory: 4096\n"
       "    tasks: [{group: g, cpu: 1536}]\n"
       "request:\n"
       "  cpu: 1024\n",
       "{\"placements\": [], \"failures\": [{\"reason\": \"RESOURCE:CPU\"}]}\n"},
      {"RESOURCE:MEMORY",
       "instances:\n"
       "  - {id: i-1, cpu: 4096, memory: 512}\n"
       "request:\n"
       "  memory: 1024\n",
       "{\"placements\": [], \"failures\": [{\"reason\": \"RESOURCE:MEMORY\"}]}\n"},
      {"RESOURCE:PORTS: port in use on the instance",
       "instances:\n"
       "  - {id: i-1, cpu: 4096, memory: 4096, ports: [22, 8080]}\n"
       "request:\n"
       "  ports: [8080]\n",
       "{\"placements\": [], \"failures\": [{\"reason\": \"RESOURCE:PORTS\"}]}\n"},
      {"RESOURCE:PORTS: port held by a running task",
       "instances:\n"
       "  - id: i-1\n"
       "    cpu: 4096\n"
       "    memory: 4096\n"
       "    tasks: [{group: g, ports: [443]}]\n"
       "request:\n"
       "  ports: [80, 443]\n",
       "{\"placements\": [], \"failures\": [{\"reason\": \"RESOURCE:PORTS\"}]}\n"},
      {"MemberOf",
       "instances:\n"
       "  - {id: i-1, cpu: 4096, memory: 4096, attributes: {stack: dev}}\n"
       "request:\n"
       "  placementConstraints:\n"
       "    - type: memberOf\n"
       "      expression: \"attribute:stack == prod\"\n",
       "{\"placements\": [], \"failures\": [{\"reason\": "
       "\"MemberOf placement constraint unsatisfied.\"}]}\n"},
      {"DistinctInstance: the group already runs there",
       "instances:\n"
       "  - id: i-1\n"
       "    cpu: 4096\n"
       "    memory: 4096\n"
       "    tasks: [{group: \"family:web\"}]\n"
       "request:\n"
       "  taskDefinition: web:3\n"
       "  placementConstraints:\n"
       "    - type: distinctInstance\n",
       "{\"placements\": [], \"failures\": [{\"reason\": "
       "\"DistinctInstance placement constraint unsatisfied.\"}]}\n"},
      {"the last stage to remove candidates names the failure",
       "instances:\n"
       "  - {id: i-1, cpu: 512, memory: 4096}\n"
       "  - {id: i-2, cpu: 4096, memory: 512}\n"
       "  - {id: i-3, status: DRAINING, cpu: 4096, memory: 4096}\n"
       "request:\n"
       "  cpu: 1024\n"
       "  memory: 1024\n",
       "{\"placements\": [], \"failures\": [{\"reason\": \"RESOURCE:MEMORY\"}]}\n"},
  };
  ExpectOutputs(cases);
}

TEST(SimulateCommandTest, FilterAndRequestGiveOneObject) {
  RunResult r = RunFile(
      "instances:\n"
      "  - {id: i-1, memory: 4096, attributes: {stack: prod}}\n"
      "  - {id: i-2, memory: 1024, attributes: {stack: dev}}\n"
      "  - {id: i-3, memory: 2048, attributes: {stack: prod}}\n"
      "  - {id: i-4, status: INACTIVE, memory: 1024, attributes: {stack: prod}}\n"
      "filter: \"attribute:stack == prod\"\n"
      "request:\n"
      "  memory: 512\n"
      "  placementConstraints:\n"
      "    - {type: memberOf, expression: \"attribute:stack == prod\"}\n"
      "  placementStrategy:\n"
      "    - {type: binpack, field: memory}\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"instances\": [\"i-1\", \"i-3\"], \"placements\": [\"i-3\"], \"failures\": []}\n");
  EXPECT_EQ(r.err, "");
}

TEST(SimulateCommandTest, JsonInputGivesTheSameOutput) {
  RunResult yaml = RunFile(
      "instances:\n"
      "  - {id: i-1, cpu: 4096, memory: 512}\n"
      "  - {id: i-2, cpu: 4096, memory: 2048}\n"
      "request:\n"
      "  count: 3\n"
      "  memory: 1024\n"
      "  placementStrategy:\n"
      "    - {type: binpack, field: memory}\n");
  RunResult json = RunFile(R"({
  "instances": [
    {"id": "i-1", "cpu": 4096, "memory": 512},
    {"id": "i-2", "cpu": 4096, "memory": 2048}
  ],
  "request": {
    "count": 3,
    "memory": 1024,
    "placementStrategy": [{"type": "binpack", "field": "memory"}]
  }
})");
  EXPECT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(json.out,
            "{\"placements\": [\"i-2\", \"i-2\"], "
            "\"failures\": [{\"reason\": \"RESOURCE:MEMORY\"}]}\n");
  EXPECT_EQ(json.out, yaml.out);
}

TEST(SimulateCommandTest, BadRequestExpressionNamesFieldAndPosition) {
  RunResult r = RunFile(
      "instances:\n"
      "  - id: i-1\n"
      "request:\n"
      "  placementConstraints:\n"
      "    - type: memberOf\n"
      "      expression: \"attribute:stack prod\"\n");
  ExpectBadInput(r, "request.placementConstraints[0].expression",
                 "expected an operator after 'attribute:stack' at column 17");
  // The value of `expression:` starts on line 6, column 19.
  EXPECT_EQ(r.err, "gantryctl simulate: " + r.path +
                       ":6:19: request.placementConstraints[0].expression: expected an operator "
                       "after 'attribute:stack' at column 17\n");
}

TEST(SimulateCommandTest, BadFilterExpression) {
  RunResult r = RunFile(
      "instances:\n"
      "  - id: i-1\n"
      "filter: \"attribute:stack prod\"\n");
  ExpectBadInput(r, "filter", "expected an operator after 'attribute:stack' at column 17");
  EXPECT_EQ(r.err, "gantryctl simulate: " + r.path +
                       ":3:9: filter: expected an operator after 'attribute:stack' at column 17\n");
}

TEST(SimulateCommandTest, DuplicateInstanceId) {
  RunResult r = RunFile(
      "instances:\n"
      "  - id: i-1\n"
      "  - id: i-1\n"
      "filter: \"attribute:a exists\"\n");
  ExpectBadInput(r, "instances[1].id", "duplicate id 'i-1' (also instances[0])");
  EXPECT_EQ(r.err, "gantryctl simulate: " + r.path +
                       ":3:9: instances[1].id: duplicate id 'i-1' (also instances[0])\n");
}

TEST(SimulateCommandTest, ReadErrorsArePrintedWithTheirPosition) {
  RunResult r = RunFile(
      "instances:\n"
      "  - id: i-1\n"
      "    cpus: 4\n"
      "filter: x\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "gantryctl simulate: " + r.path +
                       ":3:5: instances[0].cpus: unknown field 'cpus' (expected one of: id, "
                       "ec2InstanceId, status, agentConnected, agentVersion, registeredAt, "
                       "attributes, cpu, memory, ports, tasks)\n");
}

TEST(SimulateCommandTest, RequestValidationErrors) {
  struct Case {
    std::string name;
    std::string input;
    std::string field;
    std::string message;
  };
  const std::string cluster = "instances:\n  - {id: i-1, cpu: 1024, memory: 1024}\n";
  std::string eleven_constraints = cluster + "request:\n  placementConstraints:\n";
  for (int k = 0; k < 11; ++k) eleven_constraints += "    - type: distinctInstance\n";
  std::string six_strategies = cluster + "request:\n  placementStrategy:\n";
  for (int k = 0; k < 6; ++k) six_strategies += "    - type: random\n";
  std::string long_expression = "attribute:a == " + std::string(1986, 'x');
  EXPECT_EQ(long_expression.size(), 2001u);

  const std::vector<Case> cases = {
      {"11 constraints", eleven_constraints, "request.placementConstraints",
       "at most 10 placement constraints are allowed (task definition and request together), "
       "got 11"},
      {"6 strategies", six_strategies, "request.placementStrategy",
       "at most 5 placement strategies are allowed, got 6"},
      {"distinctInstance with an empty expression",
       cluster +
           "request:\n  placementConstraints:\n    - type: distinctInstance\n      expression: "
           "\"\"\n",
       "request.placementConstraints[0].expression",
       "distinctInstance expression should not be specified."},
      {"distinctInstance with `expression:` and no value",
       cluster +
           "request:\n  placementConstraints:\n    - type: distinctInstance\n      expression:\n",
       "request.placementConstraints[0].expression",
       "distinctInstance expression should not be specified."},
      {"memberOf without an expression",
       cluster + "request:\n  placementConstraints:\n    - type: memberOf\n",
       "request.placementConstraints[0].expression", "memberOf requires an expression"},
      {"memberOf with an empty expression",
       cluster + "request:\n  placementConstraints:\n    - {type: memberOf, expression: \"\"}\n",
       "request.placementConstraints[0].expression", "memberOf requires an expression"},
      {"bad expression in the second constraint",
       cluster + "request:\n  placementConstraints:\n    - type: distinctInstance\n    - type: "
                 "memberOf\n      expression: \"attribute:stack ==\"\n",
       "request.placementConstraints[1].expression",
       "expected a value after '==', found end of input at column 19"},
      {"unknown constraint type",
       cluster + "request:\n  placementConstraints:\n    - type: spread\n",
       "request.placementConstraints[0].type",
       "unknown constraint type 'spread' (expected memberOf or distinctInstance)"},
      {"binpack disk",
       cluster + "request:\n  placementStrategy:\n    - type: binpack\n      field: disk\n",
       "request.placementStrategy[0].field", "binpack field must be cpu or memory, got 'disk'"},
      {"binpack without a field", cluster + "request:\n  placementStrategy:\n    - type: binpack\n",
       "request.placementStrategy[0].field", "binpack requires field cpu or memory"},
      {"spread without a field", cluster + "request:\n  placementStrategy:\n    - type: spread\n",
       "request.placementStrategy[0].field",
       "spread requires field instanceId, host or attribute:NAME"},
      {"spread over an empty attribute name",
       cluster +
           "request:\n  placementStrategy:\n    - type: random\n    - type: spread\n      field: "
           "\"attribute:\"\n",
       "request.placementStrategy[1].field",
       "spread field must be instanceId, host or attribute:NAME, got 'attribute:'"},
      {"unknown strategy type", cluster + "request:\n  placementStrategy:\n    - type: pack\n",
       "request.placementStrategy[0].type",
       "unknown strategy type 'pack' (expected binpack, spread or random)"},
      {"count 0", cluster + "request:\n  count: 0\n", "request.count",
       "must be between 1 and 1000000, got 0"},
      {"count above the limit", cluster + "request:\n  count: 1000001\n", "request.count",
       "must be between 1 and 1000000, got 1000001"},
      {"negative memory", cluster + "request:\n  memory: -1\n", "request.memory",
       "must be between 0 and 2147483647, got -1"},
      {"port listed twice", cluster + "request:\n  ports: [80, 80]\n", "request.ports[1]",
       "port 80 is listed twice"},
      {"expression of 2001 characters",
       cluster + "request:\n  placementConstraints:\n    - type: memberOf\n      expression: \"" +
           long_expression + "\"\n",
       "request.placementConstraints[0].expression",
       "expression is 2001 characters long; the limit is 2000"},
      // Errors the cluster snapshot finds.
      {"negative instance cpu", "instances:\n  - {id: i-1, cpu: -1}\nfilter: x\n",
       "instances[0].cpu", "must be between 0 and 2147483647, got -1"},
      {"negative task memory",
       "instances:\n  - id: i-1\n    tasks: [{group: g, memory: -5}]\nfilter: x\n",
       "instances[0].tasks[0].memory", "must be between 0 and 2147483647, got -5"},
      {"attribute given twice",
       "instances:\n  - id: i-1\n    attributes:\n      stack: prod\n      stack: dev\nfilter: x\n",
       "instances[0].attributes", "attribute 'stack' is given more than once"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RunResult r = RunFile(c.input);
    ExpectBadInput(r, c.field, c.message);
  }
}

TEST(SimulateCommandTest, ErrorsAlsoWinOverExplain) {
  RunResult r = RunFile("instances:\n  - id: i-1\nrequest:\n  count: 0\n", {"--explain"});
  ExpectBadInput(r, "request.count", "must be between 1 and 1000000, got 0");
}

TEST(SimulateCommandTest, LimitsAreInclusive) {
  const std::string cluster = "instances:\n  - {id: i-1, cpu: 1024, memory: 1024}\n";
  {
    SCOPED_TRACE("10 constraints");
    std::string input = cluster + "request:\n  placementConstraints:\n";
    for (int k = 0; k < 10; ++k) input += "    - type: distinctInstance\n";
    RunResult r = RunFile(input);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "{\"placements\": [\"i-1\"], \"failures\": []}\n");
  }
  {
    SCOPED_TRACE("5 strategies");
    std::string input = cluster + "request:\n  placementStrategy:\n";
    for (int k = 0; k < 5; ++k) input += "    - type: random\n";
    RunResult r = RunFile(input);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "{\"placements\": [\"i-1\"], \"failures\": []}\n");
  }
  {
    SCOPED_TRACE("expression of 2000 characters");
    std::string expression = "attribute:a == " + std::string(1985, 'x');
    ASSERT_EQ(expression.size(), 2000u);
    RunResult r = RunFile(cluster +
                          "request:\n  placementConstraints:\n    - type: memberOf\n"
                          "      expression: \"" +
                          expression + "\"\n");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "{\"placements\": [], \"failures\": [{\"reason\": "
              "\"MemberOf placement constraint unsatisfied.\"}]}\n");
  }
}

TEST(SimulateCommandTest, EmptyFile) {
  RunResult r = RunFile("");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "gantryctl simulate: " + r.path + ": the file is empty\n");
}

TEST(SimulateCommandTest, MalformedYaml) {
  RunResult r = RunFile("filter: x\ninstances: [{id: i-1}\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("gantryctl simulate: " + r.path + ":"));
  EXPECT_THAT(r.err, HasSubstr(": malformed YAML: "));
  ExpectOneLine(r.err);
}

TEST(SimulateCommandTest, MissingFileFlag) {
  RunResult r = RunCli({});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "gantryctl simulate: -f FILE is required (see gantryctl simulate --help)\n");

  RunResult explain_only = RunCli({"--explain"});
  EXPECT_EQ(explain_only.code, 2);
  EXPECT_EQ(explain_only.out, "");
  EXPECT_THAT(explain_only.err, HasSubstr("-f FILE is required"));
  ExpectOneLine(explain_only.err);
}

TEST(SimulateCommandTest, FileFlagWithoutValue) {
  for (const char* flag : {"-f", "--filename"}) {
    SCOPED_TRACE(flag);
    RunResult r = RunCli({flag});
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, std::string("gantryctl simulate: ") + flag + " needs a file name\n");
  }
}

TEST(SimulateCommandTest, UnknownFlag) {
  RunResult r = RunCli({"--bogus"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "gantryctl simulate: unknown argument '--bogus' (see gantryctl simulate --help)\n");

  RunResult positional = RunCli({"-f", "a.yaml", "extra"});
  EXPECT_EQ(positional.code, 2);
  EXPECT_EQ(positional.out, "");
  EXPECT_THAT(positional.err, HasSubstr("unknown argument 'extra'"));
  ExpectOneLine(positional.err);
}

TEST(SimulateCommandTest, NonexistentFile) {
  std::string path = UniquePath() + ".missing";
  RunResult r = RunCli({"-f", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "gantryctl simulate: " + path + ": cannot open file\n");
}

TEST(SimulateCommandTest, Help) {
  for (const char* flag : {"--help", "-h"}) {
    SCOPED_TRACE(flag);
    RunResult r = RunCli({flag});
    EXPECT_EQ(r.code, 0);
    EXPECT_THAT(r.out, StartsWith("usage: gantryctl simulate -f FILE [--explain]\n"));
    EXPECT_THAT(r.out, HasSubstr("--explain"));
    EXPECT_EQ(r.err, "");
  }
}

TEST(SimulateCommandTest, FileFlagSpellings) {
  const std::string input =
      "instances:\n  - {id: i-1, attributes: {stack: prod}}\nfilter: \"attribute:stack exists\"\n";
  const std::string want = "{\"instances\": [\"i-1\"]}\n";
  std::string path = UniquePath();
  {
    std::ofstream f(path, std::ios::binary);
    f << input;
  }
  const std::vector<std::vector<std::string>> spellings = {
      {"-f", path}, {"--filename", path}, {"-f=" + path}, {"--filename=" + path}};
  for (const auto& args : spellings) {
    SCOPED_TRACE(args[0]);
    RunResult r = RunCli(args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, want);
    EXPECT_EQ(r.err, "");
  }
  std::remove(path.c_str());
}

TEST(SimulateCommandTest, ExplainShowsStagesAndScores) {
  RunResult r = RunFile(
      "instances:\n"
      "  - id: i-1\n"
      "    status: DRAINING\n"
      "    cpu: 1024\n"
      "    memory: 4096\n"
      "    attributes:\n"
      "      ecs.availability-zone: us-east-1a\n"
      "  - id: i-2\n"
      "    cpu: 1024\n"
      "    memory: 2048\n"
      "    attributes:\n"
      "      ecs.availability-zone: us-east-1a\n"
      "  - id: i-3\n"
      "    cpu: 1024\n"
      "    memory: 4096\n"
      "    attributes:\n"
      "      ecs.availability-zone: us-east-1b\n"
      "request:\n"
      "  memory: 512\n"
      "  placementStrategy:\n"
      "    - type: spread\n"
      "      field: \"attribute:ecs.availability-zone\"\n"
      "    - type: binpack\n"
      "      field: memory\n",
      {"--explain"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, Not(StartsWith("{")));
  EXPECT_THAT(r.out, HasSubstr("INSTANCE"));
  EXPECT_THAT(r.out, HasSubstr("spread(attribute:ecs.availability-zone)"));
  EXPECT_THAT(r.out, HasSubstr("binpack(memory)"));
  EXPECT_THAT(r.out, HasSubstr("tie-break"));

  const std::vector<size_t> widths = {8, 8, 8, 11, 15, 39, 15};
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 8u) << r.out;
  EXPECT_EQ(lines[0],
            Row({"INSTANCE", "STATUS", "CPU-LEFT", "MEMORY-LEFT", "FIRST-TASK",
                 "spread(attribute:ecs.availability-zone)", "binpack(memory)", "tie-break"},
                widths));
  EXPECT_EQ(lines[1],
            Row({"i-1", "DRAINING", "1024", "4096", "rejected: AGENT", "-", "-", "-"}, widths));
  // Feasible rows end in the tie-break draw, a non-negative number that depends on the seed.
  const std::string chosen = Row({"i-2", "ACTIVE", "1024", "2048", "chosen", "0", "2048"}, widths);
  const std::string feasible =
      Row({"i-3", "ACTIVE", "1024", "4096", "feasible", "0", "4096"}, widths);
  for (const auto& [line, prefix] : {std::pair{lines[2], chosen}, std::pair{lines[3], feasible}}) {
    EXPECT_THAT(line, StartsWith(prefix));
    std::string draw = line.size() > prefix.size() ? line.substr(prefix.size()) : "";
    EXPECT_FALSE(draw.empty()) << line;
    EXPECT_TRUE(std::all_of(draw.begin(), draw.end(), [](char ch) {
      return std::isdigit(static_cast<unsigned char>(ch));
    })) << line;
  }
  // Exactly one instance is chosen.
  size_t chosen_count = 0;
  for (size_t pos = r.out.find("chosen"); pos != std::string::npos;
       pos = r.out.find("chosen", pos + 1)) {
    ++chosen_count;
  }
  EXPECT_EQ(chosen_count, 1u);
  EXPECT_EQ(lines[4], "");
  EXPECT_EQ(lines[5],
            "scores: lower is better; each strategy breaks the ties of the one before it");
  EXPECT_THAT(lines[6], StartsWith("first task: evaluated"));
  EXPECT_EQ(lines[6],
            "first task: evaluated 3 instances; rejected by agent 1, cpu 0, memory 0, ports 0, "
            "memberOf 0, distinctInstance 0; feasible 2");
  EXPECT_EQ(lines[7], "placed 1 task(s): i-2 x1");
}

TEST(SimulateCommandTest, ExplainShowsFailures) {
  RunResult r = RunFile(
      "instances:\n"
      "  - {id: i-1, cpu: 1024, memory: 512}\n"
      "  - {id: i-2, cpu: 1024, memory: 2048}\n"
      "request:\n"
      "  count: 3\n"
      "  memory: 1024\n"
      "  placementStrategy:\n"
      "    - {type: binpack, field: memory}\n",
      {"--explain"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, Not(StartsWith("{")));
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 3u) << r.out;
  EXPECT_THAT(lines[0], StartsWith("INSTANCE  STATUS  CPU-LEFT  MEMORY-LEFT  FIRST-TASK"));
  EXPECT_THAT(lines[0], EndsWith("binpack(memory)  tie-break"));
  EXPECT_THAT(lines[1], StartsWith("i-1"));
  EXPECT_THAT(lines[1], HasSubstr("rejected: RESOURCE:MEMORY"));
  EXPECT_THAT(lines[2], StartsWith("i-2"));
  EXPECT_THAT(lines[2], HasSubstr("chosen"));
  EXPECT_THAT(r.out,
              EndsWith("first task: evaluated 2 instances; rejected by agent 0, cpu 0, memory 1, "
                       "ports 0, memberOf 0, distinctInstance 0; feasible 1\n"
                       "placed 2 task(s): i-2 x2\n"
                       "failed 1 task(s): RESOURCE:MEMORY\n"
                       "when candidates ran out: evaluated 2 instances; rejected by agent 0, "
                       "cpu 0, memory 2, ports 0, memberOf 0, distinctInstance 0; feasible 0\n"));
}

TEST(SimulateCommandTest, ExplainFilterTable) {
  RunResult r = RunFile(
      "instances:\n"
      "  - {id: i-1, attributes: {stack: prod}}\n"
      "  - {id: i-2, attributes: {stack: dev}}\n"
      "  - {id: i-3, status: DRAINING, attributes: {stack: prod}}\n"
      "  - {id: i-4, status: INACTIVE, attributes: {stack: prod}}\n"
      "filter: \"attribute:stack == prod\"\n",
      {"--explain"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out,
            "filter: attribute:stack == prod\n"
            "INSTANCE  STATUS    MATCH\n"
            "i-1       ACTIVE    yes\n"
            "i-2       ACTIVE    no\n"
            "i-3       DRAINING  yes\n"
            "i-4       INACTIVE  no\n"
            "2 of 4 instances match\n"
            "\n");
}

TEST(SimulateCommandTest, ExplainWithFilterAndRequestPrintsBothTables) {
  RunResult r = RunFile(
      "instances:\n"
      "  - {id: i-1, attributes: {stack: prod}}\n"
      "filter: \"attribute:stack == prod\"\n"
      "request: {}\n",
      {"--explain"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("filter: attribute:stack == prod\n"));
  EXPECT_THAT(r.out, HasSubstr("1 of 1 instances match\n\nINSTANCE  STATUS  CPU-LEFT"));
  EXPECT_THAT(r.out, EndsWith("placed 1 task(s): i-1 x1\n"));
}

constexpr const char* kFiveInstances =
    "instances:\n"
    "  - {id: i-1, cpu: 4096, memory: 8192}\n"
    "  - {id: i-2, cpu: 4096, memory: 8192}\n"
    "  - {id: i-3, cpu: 4096, memory: 8192}\n"
    "  - {id: i-4, cpu: 4096, memory: 8192}\n"
    "  - {id: i-5, cpu: 4096, memory: 8192}\n";

TEST(SimulateCommandTest, SameSeedSameOutput) {
  const std::string input = std::string(kFiveInstances) +
                            "request:\n"
                            "  count: 20\n"
                            "  cpu: 10\n"
                            "  memory: 10\n"
                            "  seed: 42\n"
                            "  placementStrategy:\n"
                            "    - type: random\n";
  RunResult first = RunFile(input);
  RunResult second = RunFile(input);
  EXPECT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(JsonList(first.out, "placements").size(), 20u) << first.out;
  EXPECT_EQ(first.out, second.out);

  RunResult explain_first = RunFile(input, {"--explain"});
  RunResult explain_second = RunFile(input, {"--explain"});
  EXPECT_EQ(explain_first.code, 0) << explain_first.err;
  EXPECT_EQ(explain_first.out, explain_second.out);
}

TEST(SimulateCommandTest, SeedDecidesAmongEqualInstances) {
  // Five identical instances and one task: the seed is the only thing that picks one. Over ten
  // seeds, more than one instance must come up.
  std::set<std::string> picked;
  for (int seed = 0; seed < 10; ++seed) {
    RunResult r =
        RunFile(std::string(kFiveInstances) + "request:\n  seed: " + std::to_string(seed) + "\n");
    ASSERT_EQ(r.code, 0) << r.err;
    std::vector<std::string> placements = JsonList(r.out, "placements");
    ASSERT_EQ(placements.size(), 1u) << r.out;
    picked.insert(placements[0]);
  }
  EXPECT_GT(picked.size(), 1u);
}

TEST(SimulateCommandTest, ManyTasksWithoutStrategyUseEveryInstance) {
  RunResult r = RunFile(std::string(kFiveInstances) +
                        "request:\n"
                        "  count: 50\n"
                        "  cpu: 10\n"
                        "  memory: 10\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, StartsWith("{\"placements\": ["));
  EXPECT_THAT(r.out, EndsWith("], \"failures\": []}\n"));
  std::vector<std::string> placements = JsonList(r.out, "placements");
  EXPECT_EQ(placements.size(), 50u);
  std::map<std::string, int> per_instance;
  for (const auto& id : placements) ++per_instance[id];
  EXPECT_EQ(per_instance.size(), 5u);
  for (const char* id : {"i-1", "i-2", "i-3", "i-4", "i-5"}) {
    EXPECT_GT(per_instance[id], 0) << id;
  }
}

}  // namespace
}  // namespace gantry::cli
