#include "api/validation/validate.h"

#include <gtest/gtest.h>

#include <functional>

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
      {"environment drain and surge both 0",
       "apiVersion: gantry.dev/v1\nkind: Environment\nmetadata: {name: e}\nspec:\n  "
       "taskDefinition: web\n  instanceGroup: {cluster: default}\n"
       "  deploymentConfiguration: {drainPercent: 0}\n",
       "spec.deploymentConfiguration.drainPercent", "both 0"},
      {"environment surge over 100",
       "apiVersion: gantry.dev/v1\nkind: Environment\nmetadata: {name: e}\nspec:\n  "
       "taskDefinition: web\n  instanceGroup: {cluster: default}\n"
       "  deploymentConfiguration: {maxSurgePercent: 101}\n",
       "spec.deploymentConfiguration.maxSurgePercent", "between 0 and 100"},
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

std::string Task(const std::string& spec) {
  return "apiVersion: gantry.dev/v1\nkind: Task\nmetadata: {name: t1}\nspec:\n"
         "  taskDefinition: web:1\n  cluster: default\n" +
         spec;
}
std::string Instance(const std::string& spec) {
  return "apiVersion: gantry.dev/v1\nkind: ContainerInstance\nmetadata: {name: i-1}\nspec:\n"
         "  cluster: default\n" +
         spec;
}

// Finding 6 of issue 8: what placement's snapshot refuses must be refused here first, naming the
// field, so one bad object cannot stop placement for a whole cluster.
TEST(ValidateTest, WhatPlacementRefusesIsRefusedHere) {
  const std::string app = "  containers:\n    - {name: app, command: [x]";
  const Case cases[] = {
      {"task cpu -5", Task("  cpu: -5\n"), "spec.cpu", "must not be negative, got -5"},
      {"task memory -1", Task("  memory: -1\n"), "spec.memory", "must not be negative"},
      {"task host port 0", Task("  hostPorts: [80, 0]\n"), "spec.hostPorts[1]",
       "must be a port between 1 and 65535, got 0"},
      {"task host port 70000", Task("  hostPorts: [70000]\n"), "spec.hostPorts[0]", "got 70000"},
      {"task group 256", Task("  group: " + std::string(256, 'g') + "\n"), "spec.group",
       "must be at most 255 characters, got 256"},
      {"task group newline", Task("  group: \"a\\nb\"\n"), "spec.group",
       "must not contain control characters, got 'a\\x0ab'"},
      {"task startedBy 37", Task("  startedBy: " + std::string(37, 's') + "\n"), "spec.startedBy",
       "at most 36 characters"},
      {"td cpu abc", TaskDefinition(app + "}\n  cpu: abc\n"), "spec.cpu",
       "must be a whole number between 0 and 2147483647, got 'abc'"},
      {"td cpu -5", TaskDefinition(app + "}\n  cpu: '-5'\n"), "spec.cpu", "got '-5'"},
      {"td memory too big", TaskDefinition(app + "}\n  memory: '2147483648'\n"), "spec.memory",
       "got '2147483648'"},
      {"td memory 1 GB", TaskDefinition(app + "}\n  memory: '1 GB'\n"), "spec.memory",
       "got '1 GB'"},
      {"td cpu sum overflows",
       TaskDefinition(app + ", cpu: 2147483647}\n    - {name: b, command: [y], cpu: 2147483647}\n"),
       "spec.containers[1].cpu", "brings the task's cpu to 4294967294 units"},
      {"td memory sum overflows",
       TaskDefinition(app +
                      ", memory: 2000000000}\n    - {name: b, command: [y], memory: 200000000}\n"),
       "spec.containers[1].memory", "brings the task's memory to 2200000000 MiB"},
      {"env name with =",
       TaskDefinition(app + ", environment: [{name: A, value: '1'}, {name: 'B=C', value: '2'}]}\n"),
       "spec.containers[0].environment[1].name",
       "an environment variable name may not contain '=' or a control character, got 'B=C'"},
      {"env name with a newline",
       TaskDefinition(app + ", environment: [{name: \"A\\nB\", value: '1'}]}\n"),
       "spec.containers[0].environment[0].name", "or a control character"},
      {"env name with NUL",
       TaskDefinition(app + ", environment: [{name: \"A\\0B\", value: '1'}]}\n"),
       "spec.containers[0].environment[0].name", "got 'A\\x00B'"},
      {"env name empty", TaskDefinition(app + ", environment: [{value: '1'}]}\n"),
       "spec.containers[0].environment[0].name", "is required"},
      {"ec2InstanceId 300", Instance("  ec2InstanceId: " + std::string(300, 'i') + "\n"),
       "spec.ec2InstanceId", "must be at most 255 characters, got 300"},
      {"negative registered cpu", Instance("  registeredResources: {cpu: -1}\n"),
       "spec.registeredResources.cpu", "must not be negative"},
      {"registered port 0", Instance("  registeredResources: {ports: [22, 0]}\n"),
       "spec.registeredResources.ports[1]", "between 1 and 65535"},
      {"attribute value character",
       Instance("  attributes: [{name: stack, value: prod}, {name: x, value: 'a=b'}]\n"),
       "spec.attributes[1].value", "may contain letters"},
      {"attribute value too long",
       Instance("  attributes: [{name: x, value: " + std::string(129, 'v') + "}]\n"),
       "spec.attributes[0].value", "must be 1 to 128 characters"},
      {"attribute value leading space", Instance("  attributes: [{name: x, value: ' a'}]\n"),
       "spec.attributes[0].value", "not first or last"},
      {"attribute name character", Instance("  attributes: [{name: 'a b', value: c}]\n"),
       "spec.attributes[0].name", "may contain letters"},
      {"attribute twice", Instance("  attributes: [{name: a, value: b}, {name: a}]\n"),
       "spec.attributes[1].name", "given twice"},
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

TEST(ValidateTest, LimitsThemselvesAreAccepted) {
  EXPECT_TRUE(
      ValidateText(Task("  cpu: 2147483647\n  memory: 0\n  hostPorts: [1, 65535]\n"
                        "  group: " +
                        std::string(255, 'g') + "\n  startedBy: " + std::string(36, 's') + "\n"))
          .ok());
  EXPECT_TRUE(ValidateText(Instance("  ec2InstanceId: " + std::string(255, 'i') +
                                    "\n  attributes: [{name: " + std::string(128, 'n') +
                                    ", value: 'a@b:c/d\\\\e f.g-h_i'}, {name: gpu}]\n"
                                    "  registeredResources: {cpu: 2147483647, memory: 2147483647, "
                                    "ports: [1, 65535]}\n"))
                  .ok());
  EXPECT_TRUE(ValidateText(TaskDefinition("  containers:\n    - {name: a, command: [x], cpu: "
                                          "2147483646, environment: [{name: 'A_1', value: "
                                          "'x=y'}]}\n    - {name: b, command: [y], cpu: 1}\n"
                                          "  cpu: '2147483647'\n  memory: '0'\n"))
                  .ok());
}

TEST(ValidateTest, TaskDefinitionSize) {
  v1::TaskDefinitionSpec spec;
  auto* a = spec.add_containers();
  a->set_cpu(256);
  a->set_memory(512);
  auto* b = spec.add_containers();
  b->set_cpu(128);
  b->set_memory(64);
  auto size = TaskDefinitionSize(spec);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->cpu, 384);
  EXPECT_EQ(size->memory, 576);
  spec.set_cpu("1024");  // the task-level value wins
  size = TaskDefinitionSize(spec);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->cpu, 1024);
  EXPECT_EQ(size->memory, 576);
  spec.set_memory("");
  spec.set_cpu("12abc");
  EXPECT_EQ(TaskDefinitionSize(spec).status().field(), "spec.cpu");
}

TEST(ValidateTest, RegistrationsNameTheirFields) {
  auto good = [] {
    v1::InstanceRegistration r;
    r.set_container_instance("i-1");
    r.set_cluster("demo");
    r.set_ec2_instance_id("i-0abc");
    auto* a = r.add_attributes();
    a->set_name("ecs.availability-zone");
    a->set_value("us-east-1a");
    r.mutable_registered_resources()->set_cpu(2048);
    r.mutable_registered_resources()->add_ports(22);
    r.mutable_version_info()->set_agent_version("1.0.0");
    r.mutable_version_info()->set_docker_version("none (process driver)");
    return r;
  };
  EXPECT_TRUE(ValidateRegistration(good()).ok());
  struct RegCase {
    std::function<void(v1::InstanceRegistration&)> edit;
    const char* field;
  };
  const RegCase cases[] = {
      {[](auto& r) { r.set_container_instance(""); }, "containerInstance"},
      {[](auto& r) { r.set_container_instance("../x"); }, "containerInstance"},
      {[](auto& r) { r.set_cluster("a b"); }, "cluster"},
      {[](auto& r) { r.set_ec2_instance_id(std::string(300, 'i')); }, "ec2InstanceId"},
      {[](auto& r) { r.mutable_attributes(0)->set_value("a\nb"); }, "attributes[0].value"},
      {[](auto& r) { *r.add_attributes() = r.attributes(0); }, "attributes[1].name"},
      {[](auto& r) { r.mutable_registered_resources()->set_memory(-1); },
       "registeredResources.memory"},
      {[](auto& r) { r.mutable_registered_resources()->add_ports(65536); },
       "registeredResources.ports[1]"},
      {[](auto& r) { r.mutable_version_info()->set_agent_version(std::string(30000, 'v')); },
       "versionInfo.agentVersion"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.field);
    v1::InstanceRegistration r = good();
    c.edit(r);
    api::Status st = ValidateRegistration(r);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), api::Code::kInvalidArgument);
    EXPECT_EQ(st.field(), c.field) << st.message();
  }
}

TEST(ValidateTest, TaskDefinitionRevisionNamesAreAllowed) {
  EXPECT_TRUE(
      ValidateText(TaskDefinition("  containers: [{name: app, command: [x]}]\n", "web:12")).ok());
}

}  // namespace
}  // namespace gantry::validation
