// Tests for reading the input file of `gantryctl simulate`: values, defaults, and errors that
// name the field path and the line and column where it was written.

#include "cli/simulate/input.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "placement/types.h"

namespace gantry::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

using placement::InstanceStatus;

// 2018-01-10T00:00:00Z in milliseconds since the Unix epoch.
constexpr int64_t kJan10Ms = 1515542400000;

// Parses `text`, failing the test (with the error) when it does not parse.
SimulateInput MustParse(const std::string& text) {
  InputError error;
  auto input = ParseSimulateInput(text, error);
  EXPECT_TRUE(input.has_value()) << error.Format("input.yaml");
  return input ? std::move(*input) : SimulateInput{};
}

// Parses `text`, failing the test when it parses; returns the error.
InputError MustFail(const std::string& text) {
  InputError error;
  auto input = ParseSimulateInput(text, error);
  EXPECT_FALSE(input.has_value()) << "parsed, but should not have:\n" << text;
  return error;
}

struct Position {
  int line = 0;
  int column = 0;
};

// The 1-based line and column of the first occurrence of `marker` in `text`.
Position PositionOf(const std::string& text, const std::string& marker) {
  size_t pos = text.find(marker);
  EXPECT_NE(pos, std::string::npos) << "marker '" << marker << "' is not in the text";
  if (pos == std::string::npos) return {};
  size_t line_start = 0;
  if (pos > 0) {
    size_t nl = text.rfind('\n', pos - 1);
    if (nl != std::string::npos) line_start = nl + 1;
  }
  Position p;
  p.line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
  p.column = static_cast<int>(pos - line_start) + 1;
  return p;
}

std::string Opt(const std::optional<std::string>& s) { return s ? "'" + *s + "'" : "<absent>"; }

// Everything a parse produced, as text, so two parses can be compared field by field.
std::string Dump(const SimulateInput& in) {
  std::ostringstream o;
  for (const auto& i : in.instances) {
    o << "instance id=" << i.id << " ec2=" << i.ec2_instance_id
      << " status=" << static_cast<int>(i.status) << " connected=" << i.agent_connected
      << " version=" << Opt(i.agent_version)
      << " registered=" << (i.registered_at_ms ? std::to_string(*i.registered_at_ms) : "<absent>")
      << " cpu=" << i.cpu << " memory=" << i.memory << " ports=";
    for (int32_t p : i.ports) o << p << ",";
    o << " attributes=";
    for (const auto& [name, value] : i.attributes) o << name << "=" << value << ";";
    o << "\n";
    for (const auto& t : i.tasks) {
      o << "  task group=" << t.group << " cpu=" << t.cpu << " memory=" << t.memory << " ports=";
      for (int32_t p : t.ports) o << p << ",";
      o << "\n";
    }
  }
  o << "filter=" << Opt(in.filter) << "\n";
  if (in.request) {
    const auto& r = *in.request;
    o << "request count=" << r.count << " group=" << r.group << " cpu=" << r.cpu
      << " memory=" << r.memory << " seed=" << r.seed << " ports=";
    for (int32_t p : r.ports) o << p << ",";
    o << "\n";
    for (const auto& c : r.task_definition_constraints) {
      o << "  td-constraint " << c.type << " " << Opt(c.expression) << "\n";
    }
    for (const auto& c : r.constraints) {
      o << "  constraint " << c.type << " " << Opt(c.expression) << "\n";
    }
    for (const auto& s : r.strategies) o << "  strategy " << s.type << " " << Opt(s.field) << "\n";
  } else {
    o << "request=<absent>\n";
  }
  return o.str();
}

constexpr const char* kFullYaml =
    "instances:\n"
    "  - id: i-1\n"
    "    ec2InstanceId: i-0abc\n"
    "    status: DRAINING\n"
    "    agentConnected: false\n"
    "    agentVersion: 1.14.5\n"
    "    registeredAt: 2018-01-10T00:00:00Z\n"
    "    attributes:\n"
    "      ecs.availability-zone: us-east-1a\n"
    "      stack: prod\n"
    "      gpu:\n"
    "    cpu: 2048\n"
    "    memory: 4096\n"
    "    ports: [22, 8080]\n"
    "    tasks:\n"
    "      - group: family:web\n"
    "        cpu: 256\n"
    "        memory: 512\n"
    "        ports: [8080]\n"
    "      - group: service:api\n"
    "  - id: i-2\n"
    "filter: \"attribute:stack == prod\"\n"
    "request:\n"
    "  count: 3\n"
    "  group: service:web\n"
    "  taskDefinition: web:7\n"
    "  cpu: 128\n"
    "  memory: 256\n"
    "  ports: [80, 443]\n"
    "  placementConstraints:\n"
    "    - type: memberOf\n"
    "      expression: \"attribute:stack == prod\"\n"
    "    - type: distinctInstance\n"
    "    - type: memberOf\n"
    "      expression:\n"
    "    - type: memberOf\n"
    "      expression: \"\"\n"
    "  placementStrategy:\n"
    "    - type: spread\n"
    "      field: \"attribute:ecs.availability-zone\"\n"
    "    - type: random\n"
    "  seed: 18446744073709551615\n";

constexpr const char* kFullJson = R"json({
  "instances": [
    {
      "id": "i-1",
      "ec2InstanceId": "i-0abc",
      "status": "DRAINING",
      "agentConnected": false,
      "agentVersion": "1.14.5",
      "registeredAt": "2018-01-10T00:00:00Z",
      "attributes": {"ecs.availability-zone": "us-east-1a", "stack": "prod", "gpu": null},
      "cpu": 2048,
      "memory": 4096,
      "ports": [22, 8080],
      "tasks": [
        {"group": "family:web", "cpu": 256, "memory": 512, "ports": [8080]},
        {"group": "service:api"}
      ]
    },
    {"id": "i-2"}
  ],
  "filter": "attribute:stack == prod",
  "request": {
    "count": 3,
    "group": "service:web",
    "taskDefinition": "web:7",
    "cpu": 128,
    "memory": 256,
    "ports": [80, 443],
    "placementConstraints": [
      {"type": "memberOf", "expression": "attribute:stack == prod"},
      {"type": "distinctInstance"},
      {"type": "memberOf", "expression": null},
      {"type": "memberOf", "expression": ""}
    ],
    "placementStrategy": [
      {"type": "spread", "field": "attribute:ecs.availability-zone"},
      {"type": "random"}
    ],
    "seed": 18446744073709551615
  }
}
)json";

TEST(SimulateInputTest, FullDocumentParses) {
  SimulateInput in = MustParse(kFullYaml);
  ASSERT_EQ(in.instances.size(), 2u);

  const placement::InstanceSpec& a = in.instances[0];
  EXPECT_EQ(a.id, "i-1");
  EXPECT_EQ(a.ec2_instance_id, "i-0abc");
  EXPECT_EQ(a.status, InstanceStatus::kDraining);
  EXPECT_FALSE(a.agent_connected);
  ASSERT_TRUE(a.agent_version.has_value());
  EXPECT_EQ(*a.agent_version, "1.14.5");
  ASSERT_TRUE(a.registered_at_ms.has_value());
  EXPECT_EQ(*a.registered_at_ms, kJan10Ms);
  EXPECT_THAT(a.attributes, ElementsAre(Pair("ecs.availability-zone", "us-east-1a"),
                                        Pair("stack", "prod"), Pair("gpu", "")));
  EXPECT_EQ(a.cpu, 2048);
  EXPECT_EQ(a.memory, 4096);
  EXPECT_THAT(a.ports, ElementsAre(22, 8080));
  ASSERT_EQ(a.tasks.size(), 2u);
  EXPECT_EQ(a.tasks[0].group, "family:web");
  EXPECT_EQ(a.tasks[0].cpu, 256);
  EXPECT_EQ(a.tasks[0].memory, 512);
  EXPECT_THAT(a.tasks[0].ports, ElementsAre(8080));
  EXPECT_EQ(a.tasks[1].group, "service:api");
  EXPECT_EQ(a.tasks[1].cpu, 0);
  EXPECT_EQ(a.tasks[1].memory, 0);
  EXPECT_TRUE(a.tasks[1].ports.empty());

  // Everything left out takes its default.
  const placement::InstanceSpec& b = in.instances[1];
  EXPECT_EQ(b.id, "i-2");
  EXPECT_EQ(b.ec2_instance_id, "");
  EXPECT_EQ(b.status, InstanceStatus::kActive);
  EXPECT_TRUE(b.agent_connected);
  EXPECT_FALSE(b.agent_version.has_value());
  EXPECT_FALSE(b.registered_at_ms.has_value());
  EXPECT_TRUE(b.attributes.empty());
  EXPECT_EQ(b.cpu, 0);
  EXPECT_EQ(b.memory, 0);
  EXPECT_TRUE(b.ports.empty());
  EXPECT_TRUE(b.tasks.empty());

  ASSERT_TRUE(in.filter.has_value());
  EXPECT_EQ(*in.filter, "attribute:stack == prod");

  ASSERT_TRUE(in.request.has_value());
  const placement::TaskRequest& r = *in.request;
  EXPECT_EQ(r.count, 3);
  EXPECT_EQ(r.group, "service:web");  // an explicit group wins over the task definition's
  EXPECT_EQ(r.cpu, 128);
  EXPECT_EQ(r.memory, 256);
  EXPECT_THAT(r.ports, ElementsAre(80, 443));
  EXPECT_TRUE(r.task_definition_constraints.empty());
  ASSERT_EQ(r.constraints.size(), 4u);
  EXPECT_EQ(r.constraints[0].type, "memberOf");
  ASSERT_TRUE(r.constraints[0].expression.has_value());
  EXPECT_EQ(*r.constraints[0].expression, "attribute:stack == prod");
  EXPECT_EQ(r.constraints[1].type, "distinctInstance");
  EXPECT_FALSE(r.constraints[1].expression.has_value());  // absent
  EXPECT_EQ(r.constraints[2].type, "memberOf");
  ASSERT_TRUE(r.constraints[2].expression.has_value());  // `expression:` with no value
  EXPECT_EQ(*r.constraints[2].expression, "");
  ASSERT_TRUE(r.constraints[3].expression.has_value());  // `expression: ""`
  EXPECT_EQ(*r.constraints[3].expression, "");
  ASSERT_EQ(r.strategies.size(), 2u);
  EXPECT_EQ(r.strategies[0].type, "spread");
  ASSERT_TRUE(r.strategies[0].field.has_value());
  EXPECT_EQ(*r.strategies[0].field, "attribute:ecs.availability-zone");
  EXPECT_EQ(r.strategies[1].type, "random");
  EXPECT_FALSE(r.strategies[1].field.has_value());
  EXPECT_EQ(r.seed, UINT64_MAX);
}

TEST(SimulateInputTest, JsonParsesLikeYaml) {
  SimulateInput yaml = MustParse(kFullYaml);
  SimulateInput json = MustParse(kFullJson);
  EXPECT_EQ(Dump(json), Dump(yaml));
  // Spot-check the JSON reading itself, so that two equally wrong parses cannot pass.
  ASSERT_EQ(json.instances.size(), 2u);
  EXPECT_EQ(json.instances[0].status, InstanceStatus::kDraining);
  EXPECT_FALSE(json.instances[0].agent_connected);
  EXPECT_EQ(json.instances[0].registered_at_ms, std::optional<int64_t>(kJan10Ms));
  EXPECT_THAT(json.instances[0].attributes, ElementsAre(Pair("ecs.availability-zone", "us-east-1a"),
                                                        Pair("stack", "prod"), Pair("gpu", "")));
  ASSERT_TRUE(json.request.has_value());
  EXPECT_EQ(json.request->seed, UINT64_MAX);
  ASSERT_EQ(json.request->constraints.size(), 4u);
  EXPECT_FALSE(json.request->constraints[1].expression.has_value());
  EXPECT_EQ(json.request->constraints[2].expression, std::optional<std::string>(""));
}

TEST(SimulateInputTest, DefaultsWithoutOptionalSections) {
  SimulateInput in = MustParse("instances: []\nfilter: \"attribute:a exists\"\n");
  EXPECT_TRUE(in.instances.empty());
  EXPECT_EQ(in.filter, std::optional<std::string>("attribute:a exists"));
  EXPECT_FALSE(in.request.has_value());

  SimulateInput req = MustParse("instances:\nrequest: {}\n");  // `instances:` alone: no instances
  EXPECT_TRUE(req.instances.empty());
  EXPECT_FALSE(req.filter.has_value());
  ASSERT_TRUE(req.request.has_value());
  EXPECT_EQ(req.request->count, 1);
  EXPECT_EQ(req.request->group, "family:default");
  EXPECT_EQ(req.request->cpu, 0);
  EXPECT_EQ(req.request->memory, 0);
  EXPECT_TRUE(req.request->ports.empty());
  EXPECT_TRUE(req.request->constraints.empty());
  EXPECT_TRUE(req.request->strategies.empty());
  EXPECT_EQ(req.request->seed, 0u);
}

TEST(SimulateInputTest, RegisteredAtFormats) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  const Case cases[] = {
      {"2018-01-10T00:00:00Z", kJan10Ms},      {"2018-01-10", kJan10Ms},
      {"2018-01-10T00:00:00", kJan10Ms},       {"2018-01-10T00:00:00+00:00", kJan10Ms},
      {"2018-01-10T02:00:00+02:00", kJan10Ms}, {"2018-01-10T00:00:01Z", kJan10Ms + 1000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    SimulateInput in = MustParse(std::string("instances:\n  - id: i-1\n    registeredAt: \"") +
                                 c.text + "\"\nfilter: x\n");
    ASSERT_EQ(in.instances.size(), 1u);
    EXPECT_EQ(in.instances[0].registered_at_ms, std::optional<int64_t>(c.ms));
  }
}

TEST(SimulateInputTest, StatusValues) {
  struct Case {
    const char* text;
    InstanceStatus status;
  };
  const Case cases[] = {
      {"ACTIVE", InstanceStatus::kActive},
      {"DRAINING", InstanceStatus::kDraining},
      {"INACTIVE", InstanceStatus::kInactive},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    SimulateInput in =
        MustParse(std::string("instances:\n  - id: i-1\n    status: ") + c.text + "\nfilter: x\n");
    ASSERT_EQ(in.instances.size(), 1u);
    EXPECT_EQ(in.instances[0].status, c.status);
  }
}

TEST(SimulateInputTest, BooleanSpellings) {
  struct Case {
    const char* text;
    bool value;
  };
  const Case cases[] = {{"true", true},   {"True", true},   {"TRUE", true},
                        {"false", false}, {"False", false}, {"FALSE", false}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    SimulateInput in = MustParse(std::string("instances:\n  - id: i-1\n    agentConnected: ") +
                                 c.text + "\nfilter: x\n");
    ASSERT_EQ(in.instances.size(), 1u);
    EXPECT_EQ(in.instances[0].agent_connected, c.value);
  }
}

TEST(SimulateInputTest, GroupDefaultsToTaskDefinitionFamily) {
  struct Case {
    const char* name;
    const char* request;
    const char* group;
  };
  const Case cases[] = {
      {"no group, no task definition", "request:\n  count: 1\n", "family:default"},
      {"task definition with revision", "request:\n  taskDefinition: web:3\n", "family:web"},
      {"task definition ARN",
       "request:\n  taskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/web:3\n",
       "family:web"},
      {"explicit group wins", "request:\n  group: service:api\n  taskDefinition: web:3\n",
       "service:api"},
      {"explicit group alone", "request:\n  group: service:api\n", "service:api"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SimulateInput in = MustParse(std::string("instances: []\n") + c.request);
    ASSERT_TRUE(in.request.has_value());
    EXPECT_EQ(in.request->group, c.group);
  }
}

TEST(SimulateInputTest, DefaultGroup) {
  EXPECT_EQ(DefaultGroup(std::nullopt), "family:default");
  EXPECT_EQ(DefaultGroup(std::string("")), "family:default");
  EXPECT_EQ(DefaultGroup(std::string("web")), "family:web");
  EXPECT_EQ(DefaultGroup(std::string("web:3")), "family:web");
  EXPECT_EQ(DefaultGroup(std::string("arn:aws:ecs:us-east-1:123456789012:task-definition/web:3")),
            "family:web");
}

TEST(SimulateInputTest, TrailingDocumentSeparatorIsAccepted) {
  SimulateInput in = MustParse("instances:\n  - id: i-1\nfilter: x\n---\n");
  ASSERT_EQ(in.instances.size(), 1u);
  EXPECT_EQ(in.instances[0].id, "i-1");
  EXPECT_EQ(in.filter, std::optional<std::string>("x"));

  SimulateInput leading = MustParse("---\ninstances:\n  - id: i-1\nfilter: x\n---\n");
  ASSERT_EQ(leading.instances.size(), 1u);
}

TEST(SimulateInputTest, ErrorPositionOfUnknownField) {
  // Written out by hand once, so that the marker arithmetic of the table below is checked too.
  InputError e = MustFail(
      "instances:\n"
      "  - id: i-1\n"
      "    cpus: 4\n"
      "filter: x\n");
  EXPECT_EQ(e.field, "instances[0].cpus");
  EXPECT_THAT(e.message, StartsWith("unknown field 'cpus'"));
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 5);
}

TEST(SimulateInputTest, Errors) {
  struct Case {
    const char* name;
    std::string text;
    std::string field;
    std::string message;
    // Where the error points: the first occurrence of this text ("" for no position).
    std::string at;
  };
  const std::string kInstanceFields =
      "(expected one of: id, ec2InstanceId, status, agentConnected, agentVersion, registeredAt, "
      "attributes, cpu, memory, ports, tasks)";
  const std::string kTimeFormats =
      "(expected 2018-06-18, 2018-06-18T22:28:28, 2018-06-18T22:28:28Z or "
      "2018-06-18T22:28:28+00:00)";
  const std::vector<Case> cases = {
      {"unknown top-level field", "instances: []\nfilters: x\n", "filters",
       "unknown field 'filters' (expected one of: instances, filter, request)", "filters"},
      {"unknown instance field", "instances:\n  - id: i-1\n    cpus: 4\nfilter: x\n",
       "instances[0].cpus", "unknown field 'cpus' " + kInstanceFields, "cpus"},
      {"unknown request field", "instances: []\nrequest:\n  count: 1\n  replicas: 2\n",
       "request.replicas",
       "unknown field 'replicas' (expected one of: count, group, taskDefinition, cpu, memory, "
       "ports, placementConstraints, placementStrategy, seed)",
       "replicas"},
      {"unknown constraint field",
       "instances: []\nrequest:\n  placementConstraints:\n    - type: memberOf\n      expr: x\n",
       "request.placementConstraints[0].expr",
       "unknown field 'expr' (expected one of: type, expression)", "expr"},
      {"unknown strategy field",
       "instances: []\nrequest:\n  placementStrategy:\n    - type: binpack\n      fields: cpu\n",
       "request.placementStrategy[0].fields",
       "unknown field 'fields' (expected one of: type, field)", "fields"},
      {"unknown task field",
       "instances:\n  - id: i-1\n    tasks:\n      - group: g\n        image: nginx\nfilter: x\n",
       "instances[0].tasks[0].image",
       "unknown field 'image' (expected one of: group, cpu, memory, ports)", "image"},
      {"repeated field", "instances:\n  - id: i-1\n    cpu: 1\n    cpu: 2\nfilter: x\n",
       "instances[0].cpu", "field is given more than once", "cpu: 2"},
      {"repeated top-level field", "instances: []\nfilter: x\nfilter: y\n", "filter",
       "field is given more than once", "filter: y"},
      {"cpu not an integer", "instances:\n  - id: i-1\n    cpu: lots\nfilter: x\n",
       "instances[0].cpu", "must be an integer, got 'lots'", "lots"},
      {"cpu a fraction", "instances:\n  - id: i-1\n    cpu: 1.5\nfilter: x\n", "instances[0].cpu",
       "must be an integer, got '1.5'", "1.5"},
      {"cpu a list", "instances:\n  - id: i-1\n    cpu: [1]\nfilter: x\n", "instances[0].cpu",
       "must be an integer, got a list", "[1]"},
      {"integer overflow", "instances:\n  - id: i-1\n    cpu: 99999999999999999999\nfilter: x\n",
       "instances[0].cpu", "integer '99999999999999999999' is out of range", "9999"},
      {"agentConnected yes", "instances:\n  - id: i-1\n    agentConnected: yes\nfilter: x\n",
       "instances[0].agentConnected", "must be true or false, got 'yes'", "yes"},
      {"agentConnected number", "instances:\n  - id: i-1\n    agentConnected: 1\nfilter: x\n",
       "instances[0].agentConnected", "must be true or false, got '1'", "1\nfilter"},
      {"ports a scalar", "instances:\n  - id: i-1\n    ports: 80\nfilter: x\n",
       "instances[0].ports", "must be a list of ports, got a scalar", "80"},
      {"attributes a list", "instances:\n  - id: i-1\n    attributes: [a, b]\nfilter: x\n",
       "instances[0].attributes", "must be a mapping of attribute names to values, got a list",
       "[a, b]"},
      {"attribute value a list",
       "instances:\n  - id: i-1\n    attributes:\n      stack: [a]\nfilter: x\n",
       "instances[0].attributes.stack", "must be a string, got a list", "[a]"},
      {"port 0", "instances:\n  - id: i-1\n    ports: [0]\nfilter: x\n", "instances[0].ports[0]",
       "port 0 is outside 1-65535", "0]"},
      {"port 70000", "instances:\n  - id: i-1\n    ports: [80, 70000]\nfilter: x\n",
       "instances[0].ports[1]", "port 70000 is outside 1-65535", "70000"},
      {"request port 0", "instances: []\nrequest:\n  ports: [0]\n", "request.ports[0]",
       "port 0 is outside 1-65535", "0]"},
      {"status RUNNING", "instances:\n  - id: i-1\n    status: RUNNING\nfilter: x\n",
       "instances[0].status", "must be ACTIVE, DRAINING or INACTIVE, got 'RUNNING'", "RUNNING"},
      {"status lower case", "instances:\n  - id: i-1\n    status: active\nfilter: x\n",
       "instances[0].status", "must be ACTIVE, DRAINING or INACTIVE, got 'active'", "active"},
      {"registeredAt not a time",
       "instances:\n  - id: i-1\n    registeredAt: yesterday\nfilter: x\n",
       "instances[0].registeredAt", "invalid time 'yesterday' " + kTimeFormats, "yesterday"},
      {"registeredAt impossible date",
       "instances:\n  - id: i-1\n    registeredAt: 2018-02-30\nfilter: x\n",
       "instances[0].registeredAt", "invalid time '2018-02-30' " + kTimeFormats, "2018-02-30"},
      {"missing id", "instances:\n  - cpu: 1\nfilter: x\n", "instances[0].id", "is required",
       "cpu: 1"},
      {"empty id", "instances:\n  - id: \"\"\nfilter: x\n", "instances[0].id", "must not be empty",
       "\"\""},
      {"missing id in second instance", "instances:\n  - id: i-1\n  - memory: 5\nfilter: x\n",
       "instances[1].id", "is required", "memory: 5"},
      {"instance not a mapping", "instances:\n  - i-1\nfilter: x\n", "instances[0]",
       "must be a mapping, got a scalar", "i-1"},
      {"instances a mapping", "instances:\n  id: i-1\nfilter: x\n", "instances",
       "must be a list of instances, got a mapping", "id: i-1"},
      {"missing task group", "instances:\n  - id: i-1\n    tasks:\n      - cpu: 1\nfilter: x\n",
       "instances[0].tasks[0].group", "is required", "cpu: 1"},
      {"tasks a mapping", "instances:\n  - id: i-1\n    tasks:\n      group: g\nfilter: x\n",
       "instances[0].tasks", "must be a list of tasks, got a mapping", "group: g"},
      {"filter a list", "instances: []\nfilter: [x]\n", "filter", "must be a string, got a list",
       "[x]"},
      {"request a list", "instances: []\nrequest: [1]\n", "request",
       "must be a mapping, got a list", "[1]"},
      {"count not an integer", "instances: []\nrequest:\n  count: many\n", "request.count",
       "must be an integer, got 'many'", "many"},
      {"placementConstraints a mapping",
       "instances: []\nrequest:\n  placementConstraints:\n    type: memberOf\n",
       "request.placementConstraints", "must be a list, got a mapping", "type: memberOf"},
      {"placementStrategy a scalar", "instances: []\nrequest:\n  placementStrategy: binpack\n",
       "request.placementStrategy", "must be a list, got a scalar", "binpack"},
      {"negative seed", "instances: []\nrequest:\n  seed: -1\n", "request.seed",
       "must be a non-negative integer below 2^64, got '-1'", "-1"},
      {"seed above 2^64", "instances: []\nrequest:\n  seed: 18446744073709551616\n", "request.seed",
       "must be a non-negative integer below 2^64, got '18446744073709551616'",
       "18446744073709551616"},
      {"neither filter nor request", "instances:\n  - id: i-1\n", "",
       "nothing to simulate: give 'filter' (list instances) or 'request' (place tasks)",
       "instances"},
      {"missing instances", "filter: x\n", "instances", "is required", "filter"},
      {"root a list", "- a\n- b\n", "", "must be a mapping, got a list", "- a"},
      {"root a scalar", "hello\n", "", "must be a mapping, got a scalar", "hello"},
      {"empty file", "", "", "the file is empty", ""},
      {"only a comment", "# nothing here\n", "", "the file is empty", ""},
      {"only separators", "---\n---\n", "", "the file is empty", ""},
      {"two documents", "instances: []\nfilter: x\n---\nrequest: {}\ninstances: []\n", "",
       "expected one document, found 2", "request"},
      {"three documents", "filter: a\n---\nfilter: b\n---\nfilter: c\n", "",
       "expected one document, found 3", "filter: b"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    InputError e = MustFail(c.text);
    EXPECT_EQ(e.field, c.field);
    EXPECT_EQ(e.message, c.message);
    Position want = c.at.empty() ? Position{} : PositionOf(c.text, c.at);
    EXPECT_EQ(e.line, want.line);
    EXPECT_EQ(e.column, want.column);
  }
}

TEST(SimulateInputTest, JsonErrorsNameTheField) {
  const std::string text = R"({"instances": [{"id": "i-1", "cpu": "lots"}], "filter": "x"})";
  InputError e = MustFail(text);
  EXPECT_EQ(e.field, "instances[0].cpu");
  EXPECT_EQ(e.message, "must be an integer, got 'lots'");
  Position want = PositionOf(text, "\"lots\"");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.line, want.line);
  EXPECT_EQ(e.column, want.column);
}

TEST(SimulateInputTest, MalformedYaml) {
  struct Case {
    const char* name;
    const char* text;
  };
  const Case cases[] = {
      {"unclosed bracket", "filter: x\ninstances: [{id: i-1}\n"},
      {"unclosed brace", "filter: x\ninstances: [{id: i-1\n"},
      {"stray closing bracket", "filter: x\ninstances: [a]]\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    InputError e = MustFail(c.text);
    EXPECT_EQ(e.field, "");
    EXPECT_THAT(e.message, StartsWith("malformed YAML: "));
    EXPECT_GE(e.line, 1);
    EXPECT_GE(e.column, 1);
    // Format puts the position in front of the message.
    EXPECT_THAT(e.Format("in.yaml"), StartsWith("in.yaml:" + std::to_string(e.line) + ":" +
                                                std::to_string(e.column) + ": malformed YAML: "));
  }
}

TEST(SimulateInputTest, UnclosedQuoteStillFails) {
  // yaml-cpp 0.7 reads a double-quoted scalar left open to the end of the file, so the document
  // loses its later fields; the reader then reports what is missing.
  InputError e = MustFail("filter: \"attribute:a exists\ninstances: []\n");
  EXPECT_EQ(e.field, "instances");
  EXPECT_EQ(e.message, "is required");
}

TEST(SimulateInputTest, FormatIsOneLine) {
  InputError e;
  e.field = "request.count";
  e.message = "must be an integer, got 'x'";
  e.line = 3;
  e.column = 10;
  EXPECT_EQ(e.Format("cluster.yaml"),
            "cluster.yaml:3:10: request.count: must be an integer, got 'x'");

  InputError no_field{"", "malformed YAML: end of map not found", 7, 2};
  EXPECT_EQ(no_field.Format("c.yaml"), "c.yaml:7:2: malformed YAML: end of map not found");

  InputError no_position{"", "the file is empty", 0, 0};
  EXPECT_EQ(no_position.Format("c.yaml"), "c.yaml: the file is empty");

  InputError field_no_position{"instances[0].id", "is required", 0, 0};
  EXPECT_EQ(field_no_position.Format("-"), "-: instances[0].id: is required");

  InputError multi_line{"filter", "first\nsecond\r\nthird", 1, 9};
  EXPECT_EQ(multi_line.Format("f.yaml"), "f.yaml:1:9: filter: first second  third");
}

TEST(SimulateInputTest, FormatOfARealError) {
  InputError e = MustFail("instances:\n  - id: i-1\n    cpu: lots\nfilter: x\n");
  EXPECT_EQ(e.Format("cluster.yaml"),
            "cluster.yaml:3:10: instances[0].cpu: must be an integer, got 'lots'");
}

TEST(SimulateInputTest, PositionOfLocatesFieldsAfterReading) {
  const std::string text =
      "instances:\n"
      "  - id: i-1\n"
      "    attributes:\n"
      "      ecs.instance-type: t3.large\n"
      "request:\n"
      "  placementConstraints:\n"
      "    - type: memberOf\n"
      "      expression: \"attribute:stack prod\"\n";
  SimulateInput in = MustParse(text);
  auto expr = in.PositionOf("request.placementConstraints[0].expression");
  EXPECT_EQ(expr.line, 8);
  EXPECT_EQ(expr.column, 19);
  // Attribute names contain dots: the longest key that matches wins.
  auto attr = in.PositionOf("instances[0].attributes.ecs.instance-type");
  EXPECT_EQ(attr.line, 4);
  EXPECT_EQ(attr.column, 26);
  auto id = in.PositionOf("instances[0].id");
  EXPECT_EQ(id.line, 2);
  EXPECT_EQ(id.column, 9);
}

TEST(SimulateInputTest, ValuesThatLookLikeOtherTypesStayStrings) {
  SimulateInput in = MustParse(
      "instances:\n"
      "  - id: 12345\n"
      "    agentVersion: 1.20\n"
      "    attributes:\n"
      "      cores: 4\n"
      "      enabled: true\n"
      "      empty: \"\"\n"
      "filter: x\n");
  ASSERT_EQ(in.instances.size(), 1u);
  EXPECT_EQ(in.instances[0].id, "12345");
  EXPECT_EQ(in.instances[0].agent_version, std::optional<std::string>("1.20"));
  EXPECT_THAT(in.instances[0].attributes,
              ElementsAre(Pair("cores", "4"), Pair("enabled", "true"), Pair("empty", "")));
}

TEST(SimulateInputTest, ErrorMessageNamesExpectedFields) {
  InputError e = MustFail("instances: []\nrequest:\n  Count: 1\n");
  EXPECT_EQ(e.field, "request.Count");
  EXPECT_THAT(e.message, HasSubstr("unknown field 'Count'"));
  EXPECT_THAT(e.message, HasSubstr("count"));
}

}  // namespace
}  // namespace gantry::cli
