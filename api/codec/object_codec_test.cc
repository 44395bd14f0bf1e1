#include "api/codec/object_codec.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "gantry/v1/objects.pb.h"

namespace gantry::codec {
namespace {

// The two manifests of issue 3, exactly as written there.
constexpr const char* kIssueManifests = R"(apiVersion: gantry.dev/v1
kind: TaskDefinition
metadata: {name: web}                 # the family; revisions are web:1, web:2, ...
spec:
  containers:
    - name: app
      command: ["sleep", "3600"]
      cpu: 128
      memory: 128
      portMappings: [{containerPort: 8080, hostPort: 8080}]
      environment: [{name: MODE, value: prod}]
  placementConstraints: [{type: memberOf, expression: "attribute:stack == prod"}]
---
apiVersion: gantry.dev/v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec:
  cluster: default
  taskDefinition: web                 # family (latest revision) or family:revision
  desiredCount: 2
  placementStrategy: [{type: spread, field: "attribute:ecs.availability-zone"}]
  deploymentConfiguration: {maximumPercent: 200, minimumHealthyPercent: 100}
)";

TEST(ObjectCodecTest, IssueManifestsDecode) {
  auto manifests = DecodeManifests(kIssueManifests, "web.yaml");
  ASSERT_TRUE(manifests.ok()) << manifests.status().ToString();
  ASSERT_EQ(manifests->size(), 2u);
  const auto& td = static_cast<const v1::TaskDefinition&>(*(*manifests)[0].object);
  EXPECT_EQ((*manifests)[0].kind->kind, "TaskDefinition");
  EXPECT_EQ(td.metadata().name(), "web");
  ASSERT_EQ(td.spec().containers_size(), 1);
  const auto& c = td.spec().containers(0);
  EXPECT_EQ(c.command_size(), 2);
  EXPECT_EQ(c.command(1), "3600");
  EXPECT_EQ(c.cpu(), 128);
  EXPECT_EQ(c.port_mappings(0).host_port(), 8080);
  EXPECT_EQ(c.environment(0).value(), "prod");
  EXPECT_EQ(td.spec().placement_constraints(0).expression(), "attribute:stack == prod");

  const auto& svc = static_cast<const v1::Service&>(*(*manifests)[1].object);
  EXPECT_EQ((*manifests)[1].document, 2);
  EXPECT_EQ(svc.metadata().labels().at("app"), "web");
  EXPECT_EQ(svc.spec().desired_count(), 2);
  EXPECT_EQ(svc.spec().placement_strategy(0).field(), "attribute:ecs.availability-zone");
  EXPECT_EQ(svc.spec().deployment_configuration().maximum_percent(), 200);
  EXPECT_TRUE(svc.spec().deployment_configuration().has_minimum_healthy_percent());
}

TEST(ObjectCodecTest, JsonAndYamlRoundTrip) {
  auto manifests = DecodeManifests(kIssueManifests, "web.yaml");
  ASSERT_TRUE(manifests.ok());
  for (const auto& m : *manifests) {
    for (const std::string& text : {ToYaml(*m.object), ToJson(*m.object, true)}) {
      auto again = DecodeManifests(text, "out");
      ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << text;
      ASSERT_EQ(again->size(), 1u);
      EXPECT_TRUE(
          google::protobuf::util::MessageDifferencer::Equals(*(*again)[0].object, *m.object))
          << text;
    }
  }
}

TEST(ObjectCodecTest, QuotedNumbersStayStringsInYamlOutput) {
  v1::Service s;
  s.set_api_version("gantry.dev/v1");
  s.set_kind("Service");
  s.mutable_metadata()->set_name("123");
  (*s.mutable_metadata()->mutable_labels())["enabled"] = "true";
  (*s.mutable_metadata()->mutable_labels())["empty"] = "";
  std::string yaml = ToYaml(s);
  EXPECT_NE(yaml.find("name: \"123\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("enabled: \"true\""), std::string::npos) << yaml;
  auto again = DecodeManifests(yaml, "out");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*(*again)[0].object, s));
}

struct ErrorCase {
  const char* name;
  const char* text;
  const char* field;
  const char* message;
};

TEST(ObjectCodecTest, ErrorsNameDocumentPositionAndField) {
  const ErrorCase cases[] = {
      {"unknown field", "apiVersion: gantry.dev/v1\nkind: Service\nspec:\n  replicas: 2\n",
       "spec.replicas",
       "web.yaml: document 1, line 4, column 3: spec.replicas: unknown field 'replicas'"},
      {"wrong type", "apiVersion: gantry.dev/v1\nkind: Service\nspec: {desiredCount: two}\n",
       "spec.desiredCount",
       "line 3, column 22: spec.desiredCount: must be a 32-bit integer, got 'two'"},
      {"list expected",
       "apiVersion: gantry.dev/v1\nkind: Service\nspec: {placementStrategy: spread}\n",
       "spec.placementStrategy", "must be a list, got a scalar"},
      {"nested path",
       "apiVersion: gantry.dev/v1\nkind: Service\nspec:\n  placementStrategy:\n    - {type: "
       "spread, feild: x}\n",
       "spec.placementStrategy[0].feild", "unknown field 'feild'"},
      {"repeated",
       "apiVersion: gantry.dev/v1\nkind: Service\nspec: {desiredCount: 1, desiredCount: 2}\n",
       "spec.desiredCount", "field is given more than once"},
      {"bool",
       "apiVersion: gantry.dev/v1\nkind: TaskDefinition\nspec: {containers: [{essential: yes}]}\n",
       "spec.containers[0].essential", "must be true or false, got 'yes'"},
      {"int32 overflow",
       "apiVersion: gantry.dev/v1\nkind: TaskDefinition\nspec: {containers: [{portMappings: "
       "[{hostPort: 99999999999}]}]}\n",
       "spec.containers[0].portMappings[0].hostPort", "must be a 32-bit integer"},
      {"unknown kind", "apiVersion: gantry.dev/v1\nkind: Pod\n", "kind", "unknown kind 'Pod'"},
      {"no kind", "apiVersion: gantry.dev/v1\nmetadata: {name: x}\n", "kind", "is required"},
      {"bad apiVersion", "apiVersion: v1\nkind: Service\n", "apiVersion",
       "unsupported apiVersion 'v1'"},
      {"second document",
       "apiVersion: gantry.dev/v1\nkind: Service\n---\napiVersion: gantry.dev/v1\nkind: "
       "Service\nbogus: 1\n",
       "bogus", "document 2, line 6, column 1: bogus: unknown field 'bogus'"},
      {"label value map",
       "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {labels: {a: {b: c}}}\n",
       "metadata.labels.a", "must be a string, got a mapping"},
      {"not a mapping", "- a\n- b\n", "", "a manifest must be a mapping, got a list"},
      {"merge key", "apiVersion: gantry.dev/v1\nkind: Service\nx: &a {b: 1}\nspec:\n  <<: *a\n", "",
       "merge keys (<<) are not supported"},
      {"malformed", "apiVersion: gantry.dev/v1\nkind: [Service\n", "", "malformed YAML"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = DecodeManifests(c.text, "web.yaml");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), api::Code::kInvalidArgument);
    EXPECT_EQ(r.status().field(), c.field);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
  }
}

TEST(ObjectCodecTest, EventDetailIsFreeForm) {
  auto r = DecodeManifests(
      "apiVersion: gantry.dev/v1\nkind: Event\nspec:\n  reason: Started\n  detail:\n"
      "    detail-type: ECS Task State Change\n    version: \"0\"\n    count: 3\n"
      "    ok: true\n    resources: [a, b]\n    detail: {lastStatus: RUNNING}\n",
      "ev.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& ev = static_cast<const v1::Event&>(*(*r)[0].object);
  const auto& fields = ev.spec().detail().fields();
  EXPECT_EQ(fields.at("detail-type").string_value(), "ECS Task State Change");
  EXPECT_EQ(fields.at("version").string_value(), "0");  // quoted: stays a string
  EXPECT_EQ(fields.at("count").number_value(), 3);
  EXPECT_TRUE(fields.at("ok").bool_value());
  EXPECT_EQ(fields.at("resources").list_value().values_size(), 2);
  std::string yaml = ToYaml(ev);
  auto again = DecodeManifests(yaml, "out");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << yaml;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*(*again)[0].object, ev)) << yaml;
}

// Found by manifest_fuzzer: an Event detail of inf or nan decoded as a number JSON cannot hold,
// 1e300 was cast to int64 (undefined) when printed as YAML, and a string such as "1.5" was
// printed plain, so it read back as a number. (Null-like strings and keys stay quoted.)
TEST(ObjectCodecTest, FreeFormScalarsReadBackAsWhatTheyWere) {
  auto r = DecodeManifests(
      "apiVersion: gantry.dev/v1\nkind: Event\nspec:\n  detail:\n    inf: inf\n    nan: nan\n"
      "    big: 1e300\n    tiny: -2.5e-300\n    half: 0.5\n    s: \"1.5\"\n    n: \"Null\"\n"
      "    e: \"\"\n    \"null\": x\n    \"~\": y\n    \"\": z\n"
      "metadata: {labels: {\"NULL\": v, k: \"~\"}}\n",
      "ev.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& ev = static_cast<const v1::Event&>(*(*r)[0].object);
  const auto& fields = ev.spec().detail().fields();
  EXPECT_EQ(fields.at("inf").string_value(), "inf");
  EXPECT_EQ(fields.at("nan").string_value(), "nan");
  EXPECT_EQ(fields.at("big").number_value(), 1e300);
  EXPECT_EQ(fields.at("tiny").number_value(), -2.5e-300);
  EXPECT_EQ(fields.at("s").string_value(), "1.5");
  EXPECT_EQ(fields.at("n").string_value(), "Null");
  EXPECT_EQ(fields.at("null").string_value(), "x");
  EXPECT_EQ(fields.at("").string_value(), "z");
  for (const std::string& text : {ToYaml(ev), ToJson(ev), ToJson(ev, true)}) {
    ASSERT_FALSE(text.empty());
    auto again = DecodeManifests(text, "out");
    ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << text;
    ASSERT_EQ(again->size(), 1u);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*(*again)[0].object, ev))
        << text;
  }
}

// Found by manifest_fuzzer: yaml-cpp printed a '\r' inside a string as it was, in a plain
// scalar, and read it back as a line break, so `bindIp: "0.0.0.\r"` came back as "0.0.0.".
TEST(ObjectCodecTest, ControlCharactersInStringsSurviveYaml) {
  v1::Task task;
  task.set_api_version("gantry.dev/v1");
  task.set_kind("Task");
  task.mutable_metadata()->set_name("t-1");
  for (const std::string& s : {std::string("0.0.0.\r"), std::string("a\rb"), std::string("\x01x"),
                               std::string("x\x7f"), std::string("tab\t"), std::string("\r")}) {
    task.mutable_status()->add_containers()->add_network_bindings()->set_bind_ip(s);
    (*task.mutable_metadata()->mutable_labels())["k" + std::to_string(s.size())] += s;
  }
  std::string yaml = ToYaml(task);
  auto again = DecodeManifests(yaml, "out");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << yaml;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*(*again)[0].object, task))
      << yaml;
}

// Found by manifest_fuzzer: an Event detail key of 1017 'a' and a '<' decoded from block YAML,
// but ToJson writes '<' as \u003c and yaml-cpp could not read the 1023-character key back.
TEST(ObjectCodecTest, KeysLongerThanYamlAllowsAsJsonAreRefused) {
  auto event = [](const std::string& key) {
    return "apiVersion: gantry.dev/v1\nkind: Event\nspec:\n  detail:\n    " + key + ": 1\n";
  };
  for (const std::string& key :
       {std::string(1017, 'a') + "<", std::string(171, '<'), std::string(1023, 'a')}) {
    auto r = DecodeManifests(event(key), "ev.yaml");
    ASSERT_FALSE(r.ok()) << key.size();
    EXPECT_EQ(r.status().field(), "spec.detail");
    EXPECT_NE(r.status().message().find("keys may be at most 1024 characters long as JSON"),
              std::string::npos)
        << r.status().message();
  }
  auto labels = DecodeManifests("apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {labels: {\"" +
                                    std::string(200, '<') + "\": v}}\n",
                                "svc.yaml");
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.status().field(), "metadata.labels");
  // Up to the limit, keys read back from JSON and YAML.
  for (const std::string& key :
       {std::string(1016, 'a') + "<", std::string(170, '<'), std::string(1022, 'a')}) {
    auto r = DecodeManifests(event(key), "ev.yaml");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const std::string& text : {ToJson(*(*r)[0].object), ToYaml(*(*r)[0].object)}) {
      auto again = DecodeManifests(text, "out");
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_TRUE(
          google::protobuf::util::MessageDifferencer::Equals(*(*again)[0].object, *(*r)[0].object));
    }
  }
}

TEST(ObjectCodecTest, NullLeavesFieldsUnsetAndEmptyStreamIsEmpty) {
  auto r =
      DecodeManifests("apiVersion: gantry.dev/v1\nkind: Service\nspec:\n  cluster: ~\n---\n", "x");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(static_cast<const v1::Service&>(*(*r)[0].object).spec().cluster(), "");
  auto empty = DecodeManifests("# nothing\n", "x");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ObjectCodecTest, ManifestsNoteTheFieldsTheyGiveAndRenderExactlyThose) {
  auto r = DecodeManifests(
      "apiVersion: gantry.dev/v1\nkind: Service\n"
      "metadata: {name: web, labels: {gantry.dev/inventory: prod, app: ~}}\n"
      "spec:\n  cluster: ~\n  desiredCount: 0\n  taskDefinition: ''\n"
      "  placementStrategy: []\n  placementConstraints: [{type: distinctInstance}]\n"
      "  deploymentConfiguration: {maximumPercent: 100, deploymentCircuitBreaker: {}}\n",
      "web.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Manifest& m = (*r)[0];
  EXPECT_EQ(m.fields, (schema::FieldSet{"apiVersion", "kind", "metadata.labels[app]",
                                        "metadata.labels[gantry.dev/inventory]", "metadata.name",
                                        "spec.deploymentConfiguration.deploymentCircuitBreaker",
                                        "spec.deploymentConfiguration.maximumPercent",
                                        "spec.desiredCount", "spec.placementConstraints",
                                        "spec.placementStrategy", "spec.taskDefinition"}))
      << "zeros, empty strings, empty lists and empty messages are given; a null is not, but a "
         "null label value is the empty string";

  // Rendered back with exactly those fields, defaults included, it decodes to the same fields.
  const std::string body = ToYaml(*m.object, m.fields);
  EXPECT_NE(body.find("desiredCount: 0"), std::string::npos) << body;
  EXPECT_NE(body.find("placementStrategy: []"), std::string::npos) << body;
  EXPECT_EQ(body.find("cluster"), std::string::npos) << body;
  auto again = DecodeManifests(body, "body");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << body;
  EXPECT_EQ((*again)[0].fields, m.fields) << body;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*(*again)[0].object, *m.object));

  // A subset renders only its keys.
  const std::string some = ToYaml(
      *m.object, {"apiVersion", "kind", "metadata.name", "metadata.labels[gantry.dev/inventory]"});
  EXPECT_EQ(some,
            "apiVersion: gantry.dev/v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n"
            "    gantry.dev/inventory: prod\n");
}

TEST(KindsTest, ResolveNames) {
  EXPECT_EQ(schema::ResolveKind("svc")->kind, "Service");
  EXPECT_EQ(schema::ResolveKind("Services")->kind, "Service");
  EXPECT_EQ(schema::ResolveKind("td")->kind, "TaskDefinition");
  EXPECT_EQ(schema::ResolveKind("ci")->kind, "ContainerInstance");
  EXPECT_EQ(schema::ResolveKind("env")->kind, "Environment");
  EXPECT_EQ(schema::ResolveKind("containerinstances")->plural, "containerinstances");
  EXPECT_EQ(schema::ResolveKind("pods"), nullptr);
}

}  // namespace
}  // namespace gantry::codec
