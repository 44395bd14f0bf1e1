#include "api/validation/validate.h"

#include <gtest/gtest.h>

#include "api/codec/object_codec.h"

namespace gantry::validation {
namespace {

api::Status ValidateText(const std::string& text) {
  auto m = codec::DecodeManifests(text, "t.yaml");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok() || m->empty()) return m.status();
  return ValidateObject(*(*m)[0].kind, *(*m)[0].object);
}

TEST(ValidateTest, IssueManifestsAreValid) {
  EXPECT_TRUE(ValidateText(R"(apiVersion: gantry.dev/v1
kind: TaskDefinition
metadata: {name: web}
spec:
  containers:
    - name: app
      command: ["sleep", "3600"]
      cpu: 128
      memory: 128
      portMappings: [{containerPort: 8080, hostPort: 8080}]
      environment: [{name: MODE, value: prod}]
  placementConstraints: [{type: memberOf, expression: "attribute:stack == prod"}]
)")
                  .ok());
  EXPECT_TRUE(ValidateText(R"(apiVersion: gantry.dev/v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  cluster: default
  taskDefinition: web
  desiredCount: 2
  placementStrategy: [{type: spread, field: "attribute:ecs.availability-zone"}]
  deploymentConfiguration: {maximumPercent: 200, minimumHealthyPercent: 100}
)")
                  .ok());
}

struct Case {
  const char* name;
  std::string text;
  const char* field;
  const char* message;
};

std::string Service(const std::string& spec, const std::string& name = "web") {
  return "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: '" + name + "'}\nspec:\n" +
         spec;
}
std::string TaskDefinition(const std::string& spec, const std::string& name = "web") {
  return "apiVersion: gantry.dev/v1\nkind: TaskDefinition\nmetadata: {name: '" + name +
         "'}\nspec:\n" + spec;
}

TEST(ValidateTest, ErrorsCarryFieldPaths) {
  const std::string ok_td = "  containers: [{name: app, command: [sleep, '1']}]\n";
  const Case cases[] = {
      {"empty name", Service("  taskDefinition: web\n", ""), "metadata.name", "is required"},
      {"bad name", Service("  taskDefinition: web\n", "-web"), "metadata.name",
       "must start with a letter or digit"},
      {"bad name char", Service("  taskDefinition: web\n", "we b"), "metadata.name",
       "may contain only"},
      {"long name", Service("  taskDefinition: web\n", std::string(256, 'a')), "metadata.name",
       "at most 255"},
      {"no task definition", Service("  desiredCount: 1\n"), "spec.taskDefinition", "is required"},
      {"negative count", Service("  taskDefinition: web\n  desiredCount: -1\n"),
       "spec.desiredCount", "must not be negative"},
      {"bad expression",
       Service("  taskDefinition: web\n  placementConstraints:\n    - {type: memberOf, expression: "
               "'attribute:a == b'}\n"
               "    - {type: memberOf, expression: 'attribute:stack prod'}\n"),
       "spec.placementConstraints[1].expression",
       "expected an operator after 'attribute:stack' at column 17"},
      {"distinct with expression",
       Service("  taskDefinition: web\n  placementConstraints: [{type: distinctInstance, "
               "expression: ''}]\n"),
       "spec.placementConstraints[0].expression",
       "distinctInstance expression should not be specified."},
      {"unknown strategy field",
       Service("  taskDefinition: web\n  placementStrategy: [{type: binpack, field: disk}]\n"),
       "spec.placementStrategy[0].field", "binpack field must be cpu or memory"},
      {"min percent",
       Service("  taskDefinition: web\n  deploymentConfiguration: {minimumHealthyPercent: 150}\n"),
       "spec.deploymentConfiguration.minimumHealthyPercent", "between 0 and 100"},
      {"no containers", TaskDefinition("  cpu: '256'\n"), "spec.containers",
       "at least one container"},
      {"duplicate container",
       TaskDefinition("  containers: [{name: a, command: [x]}, {name: a, command: [y]}]\n"),
       "spec.containers[1].name", "duplicate container name 'a'"},
      {"host port twice",
       TaskDefinition("  containers:\n    - {name: a, command: [x], portMappings: [{containerPort: "
                      "80, hostPort: 80}, "
                      "{containerPort: 81, hostPort: 80}]}\n"),
       "spec.containers[0].portMappings[1].hostPort", "used twice"},
      {"distinct in td",
       TaskDefinition(ok_td + "  placementConstraints: [{type: distinctInstance}]\n"),
       "spec.placementConstraints[0].type", "not allowed in a task definition"},
      {"bad revision", TaskDefinition(ok_td, "web:0"), "metadata.name", "family:N with N >= 1"},
      {"environment filter",
       "apiVersion: gantry.dev/v1\nkind: Environment\nmetadata: {name: e}\nspec:\n  "
       "taskDefinition: web\n"
       "  instanceGroup: {cluster: default, filter: 'attribute:x =='}\n",
       "spec.instanceGroup.filter", "expected a value after '=='"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    api::Status st = ValidateText(c.text);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), api::Code::kInvalidArgument);
    EXPECT_EQ(st.field(), c.field);
    EXPECT_NE(st.message().find(c.message), std::string::npos) << st.message();
  }
}

TEST(ValidateTest, TaskDefinitionRevisionNamesAreAllowed) {
  EXPECT_TRUE(
      ValidateText(TaskDefinition("  containers: [{name: app, command: [x]}]\n", "web:12")).ok());
}

}  // namespace
}  // namespace gantry::validation
