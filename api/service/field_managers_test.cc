// Server-side apply through the service layer: who owns which field, what a re-apply keeps,
// resets and refuses, as a user of kubectl apply --server-side expects.

#include "api/service/field_managers.h"

#include <gtest/gtest.h>

#include "api/codec/object_codec.h"
#include "api/service/object_service.h"
#include "gantry/v1/objects.pb.h"
#include "store/memory/memory_store.h"

namespace gantry::api {
namespace {

using schema::FieldSet;

class FieldManagersTest : public ::testing::Test {
 protected:
  // Applies `yaml` as `manager` would with gantryctl apply: the fields its keys give.
  StatusOr<ApplyResult> ServerSideApply(const std::string& yaml, const std::string& manager,
                                        bool force = false, bool dry_run = false) {
    auto decoded = codec::DecodeManifests(yaml, "web.yaml");
    EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
    manifest_ = std::move((*decoded)[0]);
    return service_.Apply(*manifest_.object, {.dry_run = dry_run,
                                              .field_manager = manager,
                                              .server_side = true,
                                              .applied_fields = &manifest_.fields,
                                              .force_conflicts = force});
  }
  // What gantryctl scale does: an Update of desiredCount alone.
  void Scale(int count, const std::string& manager = "gantryctl-scale") {
    auto scaled = service_.Mutate(
        *schema::FindKind("Service"), "web",
        [&](google::protobuf::Message& m) -> StatusOr<bool> {
          static_cast<v1::Service&>(m).mutable_spec()->set_desired_count(count);
          return true;
        },
        manager);
    ASSERT_TRUE(scaled.ok()) << scaled.status().ToString();
  }
  v1::Service Live() {
    auto got = service_.Get(*schema::FindKind("Service"), "web");
    EXPECT_TRUE(got.ok());
    return static_cast<const v1::Service&>(**got);
  }
  // manager/operation -> fields, as stored.
  std::map<std::string, FieldSet> Owners() {
    std::map<std::string, FieldSet> out;
    const v1::Service live = Live();
    for (const auto& e : live.metadata().managed_fields()) {
      out[e.manager() + "/" + e.operation()] = FieldSet(e.fields().begin(), e.fields().end());
    }
    return out;
  }

  store::MemoryStore store_;
  FakeClock clock_;
  ObjectService service_{store_, clock_};
  codec::Manifest manifest_;
};

const std::string kWeb =
    "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web, labels: {app: web}}\n"
    "spec: {cluster: default, taskDefinition: web, desiredCount: 3}\n";
const std::string kWebWithoutCount =
    "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web, labels: {app: web}}\n"
    "spec: {cluster: default, taskDefinition: web}\n";

TEST_F(FieldManagersTest, ApplyOwnsTheFieldsItsManifestGives) {
  auto created = ServerSideApply(kWeb, "gantryctl");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->outcome, ApplyOutcome::kCreated);
  EXPECT_EQ(Owners(),
            (std::map<std::string, FieldSet>{{"gantryctl/Apply",
                                              {"metadata.labels[app]", "spec.cluster",
                                               "spec.desiredCount", "spec.taskDefinition"}}}));
  EXPECT_EQ(Live().metadata().managed_fields(0).time(), "2026-01-01T00:00:00Z");

  clock_.Advance(std::chrono::seconds(5));
  auto again = ServerSideApply(kWeb, "gantryctl");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, ApplyOutcome::kUnchanged);
  EXPECT_EQ(Live().metadata().managed_fields(0).time(), "2026-01-01T00:00:00Z")
      << "an apply that changes nothing writes nothing, not even a time";
}

TEST_F(FieldManagersTest, AScaleSurvivesAReapplyThatLeavesDesiredCountOut) {
  ASSERT_TRUE(ServerSideApply(kWebWithoutCount, "gantryctl").ok());
  Scale(5);
  EXPECT_EQ(Owners().at("gantryctl-scale/Update"), FieldSet{"spec.desiredCount"});

  auto reapplied = ServerSideApply(kWebWithoutCount, "gantryctl");
  ASSERT_TRUE(reapplied.ok()) << reapplied.status().ToString();
  EXPECT_EQ(reapplied->outcome, ApplyOutcome::kUnchanged);
  EXPECT_EQ(Live().spec().desired_count(), 5);
}

TEST_F(FieldManagersTest, SettingAFieldAnotherManagerChangedIsAConflictUnlessForced) {
  ASSERT_TRUE(ServerSideApply(kWeb, "gantryctl").ok());
  Scale(5);
  EXPECT_EQ(Owners().at("gantryctl/Apply").count("spec.desiredCount"), 0u)
      << "the scale took the field over";

  auto refused = ServerSideApply(kWeb, "gantryctl");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kAborted);
  EXPECT_EQ(refused.status().field(), "spec.desiredCount");
  EXPECT_NE(refused.status().message().find(
                "apply failed with 1 conflict: conflict with \"gantryctl-scale\": "
                "spec.desiredCount"),
            std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(Live().spec().desired_count(), 5) << "a refused apply changes nothing";

  // The same value is no conflict: both own it.
  auto agreeing = ServerSideApply(
      "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web, labels: {app: web}}\n"
      "spec: {cluster: default, taskDefinition: web, desiredCount: 5}\n",
      "gantryctl");
  ASSERT_TRUE(agreeing.ok()) << agreeing.status().ToString();
  EXPECT_EQ(Owners().at("gantryctl/Apply").count("spec.desiredCount"), 1u);
  EXPECT_EQ(Owners().at("gantryctl-scale/Update"), FieldSet{"spec.desiredCount"});

  Scale(7);
  auto forced = ServerSideApply(kWeb, "gantryctl", /*force=*/true);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ(Live().spec().desired_count(), 3);
  EXPECT_EQ(Owners().count("gantryctl-scale/Update"), 0u) << "forced: the field changed hands";
}

TEST_F(FieldManagersTest, AFieldLeftOutIsResetUnlessAnotherManagerOwnsIt) {
  ASSERT_TRUE(ServerSideApply("apiVersion: gantry.dev/v1\nkind: Service\n"
                              "metadata: {name: web, labels: {app: web, tier: front}}\nspec:\n"
                              "  cluster: default\n  taskDefinition: web\n  desiredCount: 3\n"
                              "  placementStrategy: [{type: spread, field: instanceId}]\n",
                              "gantryctl")
                  .ok());
  // Another manager sets the same placementStrategy and its own annotation.
  ASSERT_TRUE(ServerSideApply("apiVersion: gantry.dev/v1\nkind: Service\n"
                              "metadata: {name: web, annotations: {team: ops}}\nspec:\n"
                              "  placementStrategy: [{type: spread, field: instanceId}]\n",
                              "ops")
                  .ok());
  // gantryctl drops the tier label, placementStrategy and desiredCount.
  auto dropped = ServerSideApply(kWebWithoutCount, "gantryctl");
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  const v1::Service live = Live();
  EXPECT_EQ(live.metadata().labels().count("tier"), 0u) << "its own label goes";
  EXPECT_EQ(live.spec().desired_count(), 0) << "its own field is reset";
  EXPECT_EQ(live.spec().placement_strategy_size(), 1) << "kept: ops owns it too";
  EXPECT_EQ(live.metadata().annotations().at("team"), "ops") << "never gantryctl's";
  EXPECT_EQ(live.metadata().labels().at("app"), "web");
}

TEST_F(FieldManagersTest, AZeroTheManifestGivesIsSetAndOwned) {
  ASSERT_TRUE(ServerSideApply(kWeb, "gantryctl").ok());
  auto zero = ServerSideApply(
      "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web, labels: {app: web}}\n"
      "spec: {cluster: default, taskDefinition: web, desiredCount: 0}\n",
      "gantryctl");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(Live().spec().desired_count(), 0);
  EXPECT_EQ(Owners().at("gantryctl/Apply").count("spec.desiredCount"), 1u)
      << "0 was given, so it is owned (proto3 alone could not tell)";
  Scale(4);
  EXPECT_FALSE(ServerSideApply("apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web}\n"
                               "spec: {desiredCount: 0}\n",
                               "gantryctl")
                   .ok());
}

TEST_F(FieldManagersTest, PlainWritesAreUpdatesAndTheMergedObjectIsValidated) {
  // A plain apply (PUT) replaces, and owns what it changed as an Update.
  auto decoded = codec::DecodeManifests(kWeb, "web.yaml");
  ASSERT_TRUE(service_.Apply(*(*decoded)[0].object, {.field_manager = "curl"}).ok());
  EXPECT_EQ(Owners().at("curl/Update"), (FieldSet{"metadata.labels[app]", "spec.cluster",
                                                  "spec.desiredCount", "spec.taskDefinition"}));
  // A server-side apply may leave required fields to others...
  auto partial = ServerSideApply(
      "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web}\nspec: {desiredCount: 3}\n",
      "hpa");
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  // ...but the merge must still be a valid object.
  auto invalid = ServerSideApply(
      "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web}\n"
      "spec: {desiredCount: -1}\n",
      "hpa");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().field(), "spec.desiredCount");
  // Creating from a partial manifest is validated as created.
  auto half = ServerSideApply(
      "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: other}\nspec: {desiredCount: "
      "1}\n",
      "hpa");
  EXPECT_FALSE(half.ok());
}

TEST_F(FieldManagersTest, ManagedFieldsAreServerOwnedAndManagersBounded) {
  auto created = ServerSideApply(
      "apiVersion: gantry.dev/v1\nkind: Service\n"
      "metadata:\n  name: web\n  managedFields: [{manager: mallory, operation: Apply, fields: "
      "[spec.desiredCount]}]\nspec: {cluster: default, taskDefinition: web, desiredCount: 1}\n",
      "gantryctl");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(Owners().count("mallory/Apply"), 0u) << "what a manifest says is ignored";

  const std::string too_long(kMaxFieldManagerLength + 1, 'm');
  EXPECT_EQ(ServerSideApply(kWeb, too_long).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ServerSideApply(kWeb, "bad\nname").status().field(), "fieldManager");
  FieldSet many;
  for (size_t i = 0; i <= kMaxAppliedFields; ++i)
    many.insert("metadata.labels[k" + std::to_string(i) + "]");
  auto decoded = codec::DecodeManifests(kWeb, "web.yaml");
  EXPECT_EQ(service_
                .Apply(*(*decoded)[0].object,
                       {.field_manager = "x", .server_side = true, .applied_fields = &many})
                .status()
                .field(),
            "fields");
}

TEST_F(FieldManagersTest, AnObjectStoredBeforeManagersIsTheFirstAppliersOnce) {
  // As an older gantryd stored it: no managedFields.
  auto decoded = codec::DecodeManifests(
      "apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: web, labels: {app: web}}\n"
      "spec:\n  cluster: default\n  taskDefinition: web\n  desiredCount: 3\n"
      "  placementStrategy: [{type: spread, field: instanceId}]\n",
      "old.yaml");
  ASSERT_TRUE(decoded.ok());
  ASSERT_TRUE(store_
                  .Create(ObjectKey(*schema::FindKind("Service"), "web"),
                          (*decoded)[0].object->SerializeAsString())
                  .ok());
  // The manifest no longer gives placementStrategy: it goes, as a plain apply would have done.
  auto applied = ServerSideApply(kWeb, "gantryctl");
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(Live().spec().placement_strategy_size(), 0);
  EXPECT_EQ(Owners().at("gantryctl/Apply"), (FieldSet{"metadata.labels[app]", "spec.cluster",
                                                      "spec.desiredCount", "spec.taskDefinition"}));
}

TEST_F(FieldManagersTest, KindsWithoutFieldManagersApplyAsBefore) {
  auto td = ServerSideApply(
      "apiVersion: gantry.dev/v1\nkind: TaskDefinition\nmetadata: {name: web}\nspec:\n"
      "  containers: [{name: app, command: [sleep, '1'], cpu: 128, memory: 128}]\n",
      "gantryctl");
  ASSERT_TRUE(td.ok()) << td.status().ToString();
  EXPECT_TRUE(schema::MetaOf(*td->object).managed_fields().empty());
}

TEST_F(FieldManagersTest, DryRunReportsTheMergeAndItsConflictsAndWritesNothing) {
  ASSERT_TRUE(ServerSideApply(kWeb, "gantryctl").ok());
  Scale(5);
  const int64_t revision = store_.CurrentRevision();
  auto dry = ServerSideApply(kWeb, "gantryctl", false, /*dry_run=*/true);
  EXPECT_EQ(dry.status().code(), Code::kAborted);
  auto forced = ServerSideApply(kWeb, "gantryctl", true, /*dry_run=*/true);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(static_cast<const v1::Service&>(*forced->object).spec().desired_count(), 3);
  EXPECT_EQ(store_.CurrentRevision(), revision);
  EXPECT_EQ(Live().spec().desired_count(), 5);
}

}  // namespace
}  // namespace gantry::api
