#pragma once

// Field ownership, as Kubernetes server-side apply keeps it (metadata.managedFields).
//
// Every write to a kind that records field managers names its manager. An Apply (server-side
// apply) says which fields it sets; those become the manager's, fields it set before and no
// longer sets are reset unless another manager owns them, and fields it does not name keep
// whatever value another writer gave them. Setting a field another manager owns to a different
// value is a conflict unless forced, which moves the field to the applier. Any other write is an
// Update: the fields it changed move to its manager, without conflicts.
//
// Ownership covers spec.* and the keys of metadata.labels and metadata.annotations.

#include <google/protobuf/message.h>

#include <string_view>

#include "api/schema/field_paths.h"
#include "api/schema/kinds.h"
#include "api/status/status.h"

namespace gantry::api {

inline constexpr std::string_view kApplyOperation = "Apply";
inline constexpr std::string_view kUpdateOperation = "Update";
// The manager of a write that names none.
inline constexpr std::string_view kUnknownManager = "unknown";

// At most this many bytes of printable ASCII; empty stands for kUnknownManager.
inline constexpr size_t kMaxFieldManagerLength = 128;
Status ValidateFieldManager(std::string_view manager);
// At most this many fields in one server-side apply.
inline constexpr size_t kMaxAppliedFields = 5000;

// Leaves out the paths ownership does not cover (apiVersion, kind, metadata.name, status, ...).
schema::FieldSet OwnedFields(const schema::FieldSet& fields);

// The owned fields an object sets to something other than the default: what a typed message
// applies when its sender cannot say which fields it meant (proto3 cannot tell 0 from unset).
schema::FieldSet SetFieldsOf(const google::protobuf::Message& object);

// Server-side apply of `applied` (owned fields) of `manifest` by `manager` onto `live`.
// Returns `live` with the merge made and its managedFields updated; the manifest's other fields
// are not read. kAborted names every conflict unless `force`. `now` stamps changed entries.
// An object with no managedFields (stored before they were kept) counts as `manager`'s.
StatusOr<std::unique_ptr<google::protobuf::Message>> MergeApply(
    const google::protobuf::Message& live, const google::protobuf::Message& manifest,
    const schema::FieldSet& applied, std::string_view manager, bool force, std::string_view now);

// The managedFields of an object `manager` created by applying `applied`.
void RecordCreatingApply(google::protobuf::Message& created, const schema::FieldSet& applied,
                         std::string_view manager, std::string_view now);

// Records an Update by `manager` from `before` (null: the write created the object) to `after`
// in after's managedFields, which start as before's.
void RecordUpdate(const google::protobuf::Message* before, google::protobuf::Message& after,
                  std::string_view manager, std::string_view now);

}  // namespace gantry::api
