#pragma once

// Apply with prune through an inventory (kubectl's ApplySet). The objects one apply set owns are
// listed in an Inventory object and carry the label gantry.dev/inventory=NAME; applying the
// set's manifests applies each of them labelled, then deletes the members the manifests no
// longer hold. An object the inventory never listed is never deleted, and one that another
// inventory owns is refused. Every manifest is checked (a server dry run) before anything is
// written, so a bad commit neither applies half of itself nor deletes what the last good one
// applied.
//
//   manifests ─▶ live owners, inventory ─▶ refusals? stop
//     ─▶ dry run of every object ─▶ errors? stop
//     ─▶ inventory := previous ∪ manifests ─▶ apply each (labelled)
//     ─▶ delete each member that left (if still labelled ours) ─▶ inventory := what remains

#include <google/protobuf/message.h>

#include <compare>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/client/apply_options.h"
#include "api/codec/object_codec.h"
#include "api/schema/kinds.h"
#include "api/status/status.h"

namespace gantry::client {

inline constexpr std::string_view kInventoryLabel = "gantry.dev/inventory";

struct ObjectKey {
  std::string kind;
  std::string name;
  auto operator<=>(const ObjectKey&) const = default;
};

std::string Describe(const ObjectKey& key);  // service/web

// What an apply set needs of the API: gantryctl's REST client, or a controller's client.
class ApplySetTarget {
 public:
  virtual ~ApplySetTarget() = default;
  // nullptr when there is no such object.
  virtual api::StatusOr<std::unique_ptr<google::protobuf::Message>> Get(
      const schema::KindInfo& kind, const std::string& name) = 0;
  // The outcome: created, configured or unchanged.
  virtual api::StatusOr<std::string> Apply(const schema::KindInfo& kind,
                                           const google::protobuf::Message& object,
                                           const ApplyOptions& options) = 0;
  // Deletes the object only as it is at `resource_version` (kAborted or kFailedPrecondition
  // if it changed since).
  virtual api::Status Delete(const schema::KindInfo& kind, const std::string& name,
                             const std::string& resource_version, bool dry_run) = 0;
};

// A Get's answer as ApplySetTarget::Get gives it: nullptr for kNotFound, other errors as they are.
api::StatusOr<std::unique_ptr<google::protobuf::Message>> ObjectOrNone(
    api::StatusOr<std::unique_ptr<google::protobuf::Message>> got);

struct ApplySetObject {
  const schema::KindInfo* kind = nullptr;
  const google::protobuf::Message* object = nullptr;
  std::string source;  // where it was read ("deploy/a.yaml: document 1, line 1"), for errors
  // The fields the manifest gives, for a server-side apply (null: those it sets to non-default
  // values).
  const schema::FieldSet* fields = nullptr;
};
// Decoded manifests as an apply set's objects (pointing into `manifests`, which must outlive
// them), each with the place it was read.
std::vector<ApplySetObject> ApplySetObjectsOf(const std::vector<codec::Manifest>& manifests);

struct ApplySetOptions {
  std::string inventory;
  bool dry_run = false;
  // Off: nothing is deleted, and members that left the manifests stay listed (so turning it on
  // later prunes them).
  bool prune = true;
  // Non-empty: each object is a server-side apply by this field manager (fields the manifests
  // leave out keep the values other writers gave them); empty: a plain apply.
  std::string field_manager = {};
  bool force_conflicts = false;  // take fields other managers own instead of failing
};

struct ApplySetLine {
  ObjectKey key;
  // created | configured | unchanged | pruned, or "" with an error; "kept" for a member that
  // left the manifests but is no longer this inventory's (relabelled or taken over).
  std::string outcome;
  api::Status error;
  std::string note;
};

struct ApplySetResult {
  std::vector<ApplySetLine> lines;  // applies in kind order (see RunApplySet), then prunes
  api::Status error;                // what stopped the apply set before it began, if anything
  // The inventory as the run recorded it (nothing on a dry run or when it stopped early).
  std::vector<ObjectKey> members;
  bool ok() const;
  std::vector<ObjectKey> pruned() const;
};

// The members that left the manifests, in the order to delete them: Deployments before
// Environments and Services, those before Tasks and TaskDefinitions, ... (the reverse of the
// kinds' order), by name within a kind.
std::vector<ObjectKey> PruneOrder(const std::vector<ObjectKey>& previous,
                                  const std::vector<ObjectKey>& current);

// The inventory label on an object ("" when it has none).
std::string OwningInventory(const google::protobuf::Message& object);
// A copy of `object` labelled as a member of `inventory`: what apply --prune sends.
std::unique_ptr<google::protobuf::Message> Labelled(const google::protobuf::Message& object,
                                                    const std::string& inventory);

// Whether `live` (nullptr: not stored) may be applied as a member of `inventory`: an error
// naming the owner when another inventory owns it.
api::Status MayOwn(const std::string& inventory, const ObjectKey& key,
                   const google::protobuf::Message* live);

// What an apply --prune of `current` would delete: the stored inventory's members that left
// the manifests and still carry its label, as they are now, in PruneOrder.
struct PruneCandidate {
  ObjectKey key;
  std::unique_ptr<google::protobuf::Message> live;
};
api::StatusOr<std::vector<PruneCandidate>> WouldPrune(ApplySetTarget& target,
                                                      const std::string& inventory,
                                                      const std::vector<ObjectKey>& current);

// Applies kinds in the order they depend on each other (schema::Kinds(): task definitions
// before Services and Environments, Deployments last), the manifests' order within a kind.
ApplySetResult RunApplySet(ApplySetTarget& target, const std::vector<ApplySetObject>& objects,
                           const ApplySetOptions& options,
                           const std::function<void(const ApplySetLine&)>& on_line = {});

}  // namespace gantry::client
