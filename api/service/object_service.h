#pragma once

// The service layer: every object operation, transport-free. REST, gRPC, the ECS- and
// Blox-compatible endpoints and in-process clients all call these methods and only translate.
//
// Objects live in the store under /registry/<plural>/<name> as serialized protobuf; an object's
// resourceVersion is its store mod_revision. Apply semantics:
// - create when missing (server sets uid, generation 1, creationTimestamp; status starts empty);
// - otherwise replace spec, labels and annotations with the manifest's, leaving server-owned
//   metadata and status alone; generation rises only when the spec changes; an apply that
//   changes nothing writes nothing and reports kUnchanged;
// - a server-side apply (WriteOptions::server_side) of a kind that records field managers
//   merges instead: see field_managers.h;
// - a manifest carrying a stale metadata.resourceVersion fails with kAborted (HTTP 409);
// - TaskDefinitions are immutable revisions: applying a changed spec under the family name
//   registers family:N+1, applying an identical one changes nothing.
// Thread-safe; the store serializes writes and compare-and-swap settles races.

#include <google/protobuf/message.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/schema/field_paths.h"
#include "api/schema/kinds.h"
#include "api/service/clock.h"
#include "api/service/label_selector.h"
#include "api/status/status.h"
#include "store/store.h"

namespace gantry::api {

using ObjectPtr = std::unique_ptr<google::protobuf::Message>;

enum class ApplyOutcome { kCreated, kConfigured, kUnchanged };
const char* OutcomeName(ApplyOutcome outcome);  // "created", "configured", "unchanged"

struct ApplyResult {
  ObjectPtr object;
  ApplyOutcome outcome = ApplyOutcome::kUnchanged;
};

struct ObjectList {
  std::vector<ObjectPtr> items;
  int64_t revision = 0;        // the store revision the (page of the) list is consistent with
  std::string continue_token;  // non-empty when more may follow: pass it to get the next page
};

struct ObjectEvent {
  enum class Type { kAdded, kModified, kDeleted };
  Type type = Type::kAdded;
  ObjectPtr object;
};
const char* EventTypeName(ObjectEvent::Type type);  // ADDED, MODIFIED, DELETED

// Which objects a reader may see, one object at a time (see read_scope.h).
using ObjectFilter = std::function<bool(const google::protobuf::Message& object)>;

// A watch of one kind. Next() waits up to `timeout` (0: returns at once).
class ObjectWatch {
 public:
  enum class Poll { kEvent, kTimeout, kClosed };
  ObjectWatch(const schema::KindInfo& kind, store::WatchPtr watch, LabelSelector selector)
      : kind_(kind), watch_(std::move(watch)), selector_(std::move(selector)) {}
  Poll Next(ObjectEvent& event, std::chrono::milliseconds timeout);
  void Cancel() { watch_->Cancel(); }
  std::string closed_reason() const { return watch_->closed_reason(); }
  // Leaves out objects `filter` refuses (set before the first Next()).
  void SetFilter(ObjectFilter filter) { filter_ = std::move(filter); }
  // See store::Watch::SetNotify: called when Next() may have something new.
  void SetNotify(std::function<void()> notify) { watch_->SetNotify(std::move(notify)); }

 private:
  const schema::KindInfo& kind_;
  store::WatchPtr watch_;
  LabelSelector selector_;
  ObjectFilter filter_;
};

struct WriteOptions {
  bool dry_run = false;  // validate and compute the result, write nothing
  // Create only: keep the given status instead of starting empty. For server components that
  // create objects with a known first state (a Task is PENDING from the start); never set from
  // a user request.
  bool keep_status = false;
  // Who writes, for field ownership (metadata.managedFields, see field_managers.h); empty:
  // "unknown".
  std::string field_manager = {};
  // Apply only: server-side apply. Sets `applied_fields` of the manifest (null: the fields it
  // sets to non-default values), keeps fields it leaves out, and fails with kAborted when it
  // would change a field another manager owns, unless `force_conflicts`.
  bool server_side = false;
  const schema::FieldSet* applied_fields = nullptr;
  bool force_conflicts = false;
};

// One write of ObjectService::Commit.
struct ObjectWrite {
  enum class Type : uint8_t {
    kCreate,        // `object` is new (validated; uid, generation, creationTimestamp set)
    kUpdateStatus,  // `object`'s status replaces the stored one's (its resourceVersion, when
                    // set, must be the stored one's)
    kDelete,        // `object` names what goes (its resourceVersion, when set, must match)
  };
  Type type = Type::kCreate;
  const google::protobuf::Message* object = nullptr;
  bool keep_status = false;  // kCreate: as WriteOptions::keep_status

  static ObjectWrite Create(const google::protobuf::Message& object, bool keep_status = false) {
    return {Type::kCreate, &object, keep_status};
  }
  static ObjectWrite UpdateStatus(const google::protobuf::Message& object) {
    return {Type::kUpdateStatus, &object, false};
  }
  static ObjectWrite Delete(const google::protobuf::Message& object) {
    return {Type::kDelete, &object, false};
  }
};

// What Commit wrote: the objects as stored (deleted ones as they were), in the order given, all
// at one resourceVersion.
struct CommitResult {
  std::vector<ObjectPtr> objects;
  int64_t revision = 0;
};

// Edits an object in place for ObjectService::Mutate. Returns false to leave it unchanged (no
// write), or an error to abort.
using Mutation = std::function<StatusOr<bool>(google::protobuf::Message& object)>;

class ObjectService {
 public:
  // `store` and `clock` must outlive the service. `new_uid` defaults to random v4 UUIDs.
  ObjectService(store::Store& store, const Clock& clock,
                std::function<std::string()> new_uid = nullptr);

  StatusOr<ApplyResult> Apply(const google::protobuf::Message& manifest,
                              const WriteOptions& options = {});
  // Fails with kAlreadyExists when the object exists (TaskDefinition: registers a new revision).
  StatusOr<ObjectPtr> Create(const google::protobuf::Message& object,
                             const WriteOptions& options = {});
  // TaskDefinition: a family name returns its latest revision.
  StatusOr<ObjectPtr> Get(const schema::KindInfo& kind, std::string_view name);
  StatusOr<ObjectList> List(const schema::KindInfo& kind, const LabelSelector& selector = {});
  // One page of at most `limit` matching objects (0: all), after `continue_token` (from the
  // previous page). Each page is consistent in itself, not with the others.
  StatusOr<ObjectList> List(const schema::KindInfo& kind, const LabelSelector& selector,
                            size_t limit, std::string_view continue_token);
  // Returns the object as it was. `resource_version` (optional) must match. A TaskDefinition
  // family name deletes every revision.
  StatusOr<ObjectPtr> Delete(const schema::KindInfo& kind, std::string_view name,
                             std::string_view resource_version = "",
                             const WriteOptions& options = {});
  // Read-modify-write with compare-and-swap, retried on conflicts: `mutate` sees the current
  // object and may change anything but server-owned metadata; generation rises when the spec
  // changes. Returns the object as stored. `manager` (empty: "unknown") owns the fields the
  // mutation changes.
  StatusOr<ObjectPtr> Mutate(const schema::KindInfo& kind, std::string_view name,
                             const Mutation& mutate, std::string_view manager = "");
  // Replaces the status only (the status subresource).
  StatusOr<ObjectPtr> UpdateStatus(const google::protobuf::Message& object);
  // Several writes as one store transaction: all or none, one revision, one commit. Writes
  // without a pinned resourceVersion are retried when another writer got in between; a pinned
  // one that is stale fails the whole commit with kAborted naming its object. Not for
  // TaskDefinitions (their revisions are numbered on create). At most store::kMaxTxnOps writes.
  StatusOr<CommitResult> Commit(const std::vector<ObjectWrite>& writes);

  // Changes after `resource_version` ("" or "0": from now). A compacted revision is kOutOfRange.
  StatusOr<std::unique_ptr<ObjectWatch>> Watch(const schema::KindInfo& kind,
                                               std::string_view resource_version,
                                               const LabelSelector& selector = {});

  store::Store& store() { return store_; }

 private:
  StatusOr<ApplyResult> ApplyTaskDefinition(const schema::KindInfo& kind,
                                            const google::protobuf::Message& manifest,
                                            const WriteOptions& options, bool always_new);
  StatusOr<ObjectPtr> Load(const schema::KindInfo& kind, const store::KeyValue& kv) const;
  // A TaskDefinition family's revisions, by revision number.
  StatusOr<std::vector<std::pair<int64_t, ObjectPtr>>> FamilyRevisions(const schema::KindInfo& kind,
                                                                       std::string_view family);
  ObjectPtr NewObjectFrom(const schema::KindInfo& kind, const google::protobuf::Message& manifest,
                          bool keep_status = false);

  store::Store& store_;
  const Clock& clock_;
  std::function<std::string()> new_uid_;
};

// A random version 4 UUID (uids, task ids, event ids).
std::string NewRandomUid();

// Store key of an object: /registry/<plural>/<name>.
std::string ObjectKey(const schema::KindInfo& kind, std::string_view name);
// Maps a store error to the API's codes, naming the object.
Status FromStore(const store::Error& error, const schema::KindInfo& kind, std::string_view name);

}  // namespace gantry::api
