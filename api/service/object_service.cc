#include "api/service/object_service.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <charconv>

#include "api/service/field_managers.h"
#include "api/uid/uid.h"
#include "api/validation/validate.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::api {
namespace {

using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

// Apply retries a lost compare-and-swap this often when the manifest did not pin a
// resourceVersion (the next attempt re-reads and recomputes).
constexpr int kApplyAttempts = 8;

const google::protobuf::FieldDescriptor* Field(const Message& m, const char* name) {
  return m.GetDescriptor()->FindFieldByName(name);
}
const v1::ObjectMeta& Meta(const Message& m) { return schema::MetaOf(m); }
v1::ObjectMeta* MutableMeta(Message& m) { return schema::MutableMetaOf(m); }
const Message& Spec(const Message& m) { return m.GetReflection()->GetMessage(m, Field(m, "spec")); }
Message* MutableSpec(Message& m) { return m.GetReflection()->MutableMessage(&m, Field(m, "spec")); }
const Message& StatusOf(const Message& m) {
  return m.GetReflection()->GetMessage(m, Field(m, "status"));
}
Message* MutableStatus(Message& m) {
  return m.GetReflection()->MutableMessage(&m, Field(m, "status"));
}

std::string Encode(const Message& m) {
  ObjectPtr copy(m.New());
  copy->CopyFrom(m);
  MutableMeta(*copy)->clear_resource_version();
  return copy->SerializeAsString();
}

bool ParseRevision(std::string_view rv, int64_t& out) {
  if (rv.empty()) {
    out = 0;
    return true;
  }
  auto [p, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), out);
  return ec == std::errc{} && p == rv.data() + rv.size() && out >= 0;
}

Status Stale(const schema::KindInfo& kind, std::string_view name, std::string_view given,
             int64_t current) {
  return Status(Code::kAborted, "the " + kind.singular + " \"" + std::string(name) +
                                    "\" has been modified: resourceVersion " + std::string(given) +
                                    " is stale (current: " + std::to_string(current) +
                                    "); read it again and retry");
}

// A TaskDefinition revision name: family:N.
bool SplitRevision(std::string_view name, std::string_view& family, int64_t& revision) {
  size_t colon = name.rfind(':');
  if (colon == std::string_view::npos) return false;
  family = name.substr(0, colon);
  auto rev = name.substr(colon + 1);
  auto [p, ec] = std::from_chars(rev.data(), rev.data() + rev.size(), revision);
  return ec == std::errc{} && p == rev.data() + rev.size();
}

}  // namespace

const char* OutcomeName(ApplyOutcome outcome) {
  switch (outcome) {
    case ApplyOutcome::kCreated:
      return "created";
    case ApplyOutcome::kConfigured:
      return "configured";
    case ApplyOutcome::kUnchanged:
      return "unchanged";
  }
  return "?";
}

const char* EventTypeName(ObjectEvent::Type type) {
  switch (type) {
    case ObjectEvent::Type::kAdded:
      return "ADDED";
    case ObjectEvent::Type::kModified:
      return "MODIFIED";
    case ObjectEvent::Type::kDeleted:
      return "DELETED";
  }
  return "?";
}

std::string ObjectKey(const schema::KindInfo& kind, std::string_view name) {
  return "/registry/" + kind.plural + "/" + std::string(name);
}

Status FromStore(const store::Error& e, const schema::KindInfo& kind, std::string_view name) {
  std::string what = kind.singular + " \"" + std::string(name) + "\"";
  switch (e.code) {
    case store::Code::kNotFound:
      return Status(Code::kNotFound, what + " not found");
    case store::Code::kAlreadyExists:
      return Status(Code::kAlreadyExists, what + " already exists");
    case store::Code::kAborted:
      return Status(Code::kAborted, what + " was modified concurrently: " + e.message);
    case store::Code::kOutOfRange:
      return Status(Code::kOutOfRange, e.message);
    case store::Code::kInvalidArgument:
      return Status(Code::kInvalidArgument, e.message);
    case store::Code::kFailedPrecondition:
      return Status(Code::kFailedPrecondition, e.message);
    case store::Code::kUnavailable:
      return Status(Code::kUnavailable, "store unavailable: " + e.message);
    case store::Code::kOk:
    case store::Code::kInternal:
      break;
  }
  return Status(Code::kInternal, "store error: " + e.message);
}

std::string NewRandomUid() { return uid::NewRandomUuid(); }

ObjectService::ObjectService(store::Store& store, const Clock& clock,
                             std::function<std::string()> new_uid)
    : store_(store), clock_(clock), new_uid_(new_uid ? std::move(new_uid) : uid::NewRandomUuid) {}

StatusOr<ObjectPtr> ObjectService::Load(const schema::KindInfo& kind,
                                        const store::KeyValue& kv) const {
  ObjectPtr m = schema::NewObject(kind);
  if (!m->ParseFromString(kv.value)) {
    return Status(Code::kInternal, "stored " + kind.singular + " at " + kv.key + " is corrupt");
  }
  MutableMeta(*m)->set_resource_version(std::to_string(kv.mod_revision));
  return m;
}

ObjectPtr ObjectService::NewObjectFrom(const schema::KindInfo& kind, const Message& manifest,
                                       bool keep_status) {
  ObjectPtr m(manifest.New());
  m->CopyFrom(manifest);
  schema::SetTypeMeta(*m, kind);
  v1::ObjectMeta* meta = MutableMeta(*m);
  meta->set_uid(new_uid_());
  meta->set_generation(1);
  meta->set_creation_timestamp(FormatTime(clock_.Now()));
  meta->clear_resource_version();
  meta->clear_managed_fields();  // server-owned: recorded by the write that creates it
  if (!keep_status) MutableStatus(*m)->Clear();  // status is written only through UpdateStatus
  return m;
}

StatusOr<ApplyResult> ObjectService::Apply(const Message& manifest, const WriteOptions& options) {
  const schema::KindInfo* kind = schema::KindOf(manifest);
  if (!kind) return Status(Code::kInvalidArgument, "unknown kind", "kind");
  if (auto st = ValidateFieldManager(options.field_manager); !st.ok()) return st;
  if (options.applied_fields && options.applied_fields->size() > kMaxAppliedFields) {
    return InvalidArgument("fields", "a server-side apply sets at most " +
                                         std::to_string(kMaxAppliedFields) + " fields");
  }
  const bool merge = options.server_side && kind->records_field_managers;
  // A server-side apply may leave required fields to other managers: the merge is validated.
  if (!merge) {
    if (auto st = validation::ValidateObject(*kind, manifest); !st.ok()) return st;
  }
  if (kind->kind == "TaskDefinition") return ApplyTaskDefinition(*kind, manifest, options, false);

  const v1::ObjectMeta& want = Meta(manifest);
  const std::string key = ObjectKey(*kind, want.name());
  const bool pinned = !want.resource_version().empty();
  int64_t pinned_revision = 0;
  if (!ParseRevision(want.resource_version(), pinned_revision)) {
    return InvalidArgument("metadata.resourceVersion",
                           "must be a revision number, got '" + want.resource_version() + "'");
  }
  const std::string manager =
      options.field_manager.empty() ? std::string(kUnknownManager) : options.field_manager;
  const schema::FieldSet applied = !merge                   ? schema::FieldSet()
                                   : options.applied_fields ? OwnedFields(*options.applied_fields)
                                                            : SetFieldsOf(manifest);

  for (int attempt = 0; attempt < kApplyAttempts; ++attempt) {
    auto existing = store_.Get(key);
    if (!existing.ok() && existing.error().code != store::Code::kNotFound) {
      return FromStore(existing.error(), *kind, want.name());
    }
    const std::string now = FormatTime(clock_.Now());
    if (!existing.ok()) {
      if (pinned) {
        return Status(Code::kAborted,
                      kind->singular + " \"" + want.name() +
                          "\" does not exist, but the manifest names resourceVersion " +
                          want.resource_version());
      }
      ObjectPtr created;
      if (merge) {
        // Only the applied fields: what the manifest leaves out starts at its default.
        ObjectPtr base = schema::NewObject(*kind);
        MutableMeta(*base)->set_name(want.name());
        for (const std::string& p : applied) schema::CopyFieldAt(manifest, *base, p);
        if (auto st = validation::ValidateObject(*kind, *base); !st.ok()) return st;
        created = NewObjectFrom(*kind, *base);
        RecordCreatingApply(*created, applied, manager, now);
      } else {
        created = NewObjectFrom(*kind, manifest);
        if (kind->records_field_managers) RecordUpdate(nullptr, *created, manager, now);
      }
      if (options.dry_run) return ApplyResult{std::move(created), ApplyOutcome::kCreated};
      auto rev = store_.Create(key, Encode(*created));
      if (!rev.ok() && rev.error().code == store::Code::kAlreadyExists) continue;  // lost a race
      if (!rev.ok()) return FromStore(rev.error(), *kind, want.name());
      MutableMeta(*created)->set_resource_version(std::to_string(*rev));
      return ApplyResult{std::move(created), ApplyOutcome::kCreated};
    }

    if (pinned && pinned_revision != existing->mod_revision) {
      return Stale(*kind, want.name(), want.resource_version(), existing->mod_revision);
    }
    auto current = Load(*kind, *existing);
    if (!current.ok()) return current.status();
    ObjectPtr next;
    if (merge) {
      auto merged = MergeApply(**current, manifest, applied, manager, options.force_conflicts, now);
      if (!merged.ok()) return merged.status();
      next = std::move(*merged);
      if (auto st = validation::ValidateObject(*kind, *next); !st.ok()) return st;
    } else {
      next.reset((*current)->New());
      next->CopyFrom(**current);
      v1::ObjectMeta* meta = MutableMeta(*next);
      *meta->mutable_labels() = want.labels();
      *meta->mutable_annotations() = want.annotations();
      MutableSpec(*next)->CopyFrom(Spec(manifest));
    }
    schema::SetTypeMeta(*next, *kind);
    const bool spec_changed = !MessageDifferencer::Equals(Spec(**current), Spec(*next));
    if (!spec_changed && MessageDifferencer::Equals(Meta(**current), Meta(*next))) {
      return ApplyResult{std::move(*current), ApplyOutcome::kUnchanged};
    }
    if (!merge && kind->records_field_managers) RecordUpdate(current->get(), *next, manager, now);
    v1::ObjectMeta* meta = MutableMeta(*next);
    if (spec_changed) meta->set_generation(meta->generation() + 1);
    if (options.dry_run) return ApplyResult{std::move(next), ApplyOutcome::kConfigured};
    auto rev = store_.Update(key, Encode(*next), existing->mod_revision);
    if (!rev.ok() &&
        (rev.error().code == store::Code::kAborted || rev.error().code == store::Code::kNotFound) &&
        !pinned) {
      continue;  // someone wrote in between: recompute from the new state
    }
    if (!rev.ok()) return FromStore(rev.error(), *kind, want.name());
    meta->set_resource_version(std::to_string(*rev));
    return ApplyResult{std::move(next), ApplyOutcome::kConfigured};
  }
  return Status(Code::kAborted, kind->singular + " \"" + want.name() +
                                    "\" kept changing while being applied; retry");
}

StatusOr<ApplyResult> ObjectService::ApplyTaskDefinition(const schema::KindInfo& kind,
                                                         const Message& manifest,
                                                         const WriteOptions& options,
                                                         bool always_new) {
  const v1::ObjectMeta& want = Meta(manifest);
  std::string_view family_view;
  int64_t named_revision = 0;
  if (SplitRevision(want.name(), family_view, named_revision)) {
    // A manifest naming one revision: revisions are immutable, so it can only match.
    auto existing = Get(kind, want.name());
    if (!existing.ok()) return existing.status();
    if (!MessageDifferencer::Equals(Spec(**existing), Spec(manifest))) {
      return Status(Code::kFailedPrecondition,
                    "task definition revisions are immutable; apply the family name \"" +
                        std::string(family_view) + "\" to register a new revision",
                    "metadata.name");
    }
    return ApplyResult{std::move(*existing), ApplyOutcome::kUnchanged};
  }
  const std::string family = want.name();
  for (int attempt = 0; attempt < kApplyAttempts; ++attempt) {
    auto revisions = FamilyRevisions(kind, family);
    if (!revisions.ok()) return revisions.status();
    const int64_t latest = revisions->empty() ? 0 : revisions->back().first;
    if (!revisions->empty() && !always_new &&
        MessageDifferencer::Equals(Spec(*revisions->back().second), Spec(manifest))) {
      return ApplyResult{std::move(revisions->back().second), ApplyOutcome::kUnchanged};
    }
    const std::string name = family + ":" + std::to_string(latest + 1);
    ObjectPtr created = NewObjectFrom(kind, manifest);
    MutableMeta(*created)->set_name(name);
    auto* status = static_cast<v1::TaskDefinitionStatus*>(MutableStatus(*created));
    status->set_family(family);
    status->set_revision(latest + 1);
    status->set_status("ACTIVE");
    status->set_registered_at(FormatTime(clock_.Now()));
    if (options.dry_run) return ApplyResult{std::move(created), ApplyOutcome::kCreated};
    auto rev = store_.Create(ObjectKey(kind, name), Encode(*created));
    if (!rev.ok() && rev.error().code == store::Code::kAlreadyExists) continue;
    if (!rev.ok()) return FromStore(rev.error(), kind, name);
    MutableMeta(*created)->set_resource_version(std::to_string(*rev));
    return ApplyResult{std::move(created), ApplyOutcome::kCreated};
  }
  return Status(Code::kAborted, "task definition family \"" + family + "\" kept changing; retry");
}

StatusOr<ObjectPtr> ObjectService::Create(const Message& object, const WriteOptions& options) {
  const schema::KindInfo* kind = schema::KindOf(object);
  if (!kind) return Status(Code::kInvalidArgument, "unknown kind", "kind");
  if (auto st = validation::ValidateObject(*kind, object); !st.ok()) return st;
  if (kind->kind == "TaskDefinition") {
    auto r = ApplyTaskDefinition(*kind, object, options, true);
    if (!r.ok()) return r.status();
    return std::move(r->object);
  }
  if (auto st = ValidateFieldManager(options.field_manager); !st.ok()) return st;
  const std::string& name = Meta(object).name();
  ObjectPtr created = NewObjectFrom(*kind, object, options.keep_status);
  if (kind->records_field_managers) {
    RecordUpdate(nullptr, *created,
                 options.field_manager.empty() ? kUnknownManager : options.field_manager,
                 FormatTime(clock_.Now()));
  }
  if (options.dry_run) {
    if (store_.Get(ObjectKey(*kind, name)).ok()) {
      return Status(Code::kAlreadyExists, kind->singular + " \"" + name + "\" already exists");
    }
    return created;
  }
  auto rev = store_.Create(ObjectKey(*kind, name), Encode(*created));
  if (!rev.ok()) return FromStore(rev.error(), *kind, name);
  MutableMeta(*created)->set_resource_version(std::to_string(*rev));
  return created;
}

StatusOr<std::vector<std::pair<int64_t, ObjectPtr>>> ObjectService::FamilyRevisions(
    const schema::KindInfo& kind, std::string_view family) {
  // Only this family's keys: /registry/taskdefinitions/<family>:N.
  auto list = store_.List(ObjectKey(kind, std::string(family) + ":"));
  if (!list.ok()) return FromStore(list.error(), kind, family);
  std::vector<std::pair<int64_t, ObjectPtr>> out;
  for (const auto& kv : list->items) {
    std::string_view f;
    int64_t revision;
    if (!SplitRevision(kv.key.substr(kv.key.rfind('/') + 1), f, revision) || f != family) continue;
    auto object = Load(kind, kv);
    if (!object.ok()) return object.status();
    out.emplace_back(revision, std::move(*object));
  }
  // Keys sort as text (web:10 before web:2); revisions sort as numbers.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

StatusOr<ObjectPtr> ObjectService::Get(const schema::KindInfo& kind, std::string_view name) {
  if (kind.kind == "TaskDefinition" && name.find(':') == std::string_view::npos) {
    // The family's latest revision.
    auto revisions = FamilyRevisions(kind, name);
    if (!revisions.ok()) return revisions.status();
    if (revisions->empty()) {
      return Status(Code::kNotFound, "taskdefinition \"" + std::string(name) + "\" not found");
    }
    return std::move(revisions->back().second);
  }
  auto kv = store_.Get(ObjectKey(kind, name));
  if (!kv.ok()) return FromStore(kv.error(), kind, name);
  return Load(kind, *kv);
}

StatusOr<ObjectList> ObjectService::List(const schema::KindInfo& kind,
                                         const LabelSelector& selector) {
  return List(kind, selector, 0, "");
}

StatusOr<ObjectList> ObjectService::List(const schema::KindInfo& kind,
                                         const LabelSelector& selector, size_t limit,
                                         std::string_view continue_token) {
  const std::string prefix = "/registry/" + kind.plural + "/";
  // The token is the name of the last object returned.
  store::ListOptions page{continue_token.empty() ? "" : prefix + std::string(continue_token),
                          limit == 0 ? 0 : std::max<size_t>(limit, 500)};
  ObjectList out;
  while (true) {
    auto list = store_.List(prefix, page);
    if (!list.ok()) return FromStore(list.error(), kind, "");
    if (out.revision == 0) out.revision = list->revision;
    for (const auto& kv : list->items) {
      auto m = Load(kind, kv);
      if (!m.ok()) return m.status();
      if (!selector.Matches(Meta(**m).labels())) continue;
      out.items.push_back(std::move(*m));
      if (limit != 0 && out.items.size() == limit) {
        bool last_of_store = !list->more && &kv == &list->items.back();
        if (!last_of_store) out.continue_token = kv.key.substr(prefix.size());
        return out;
      }
    }
    if (!list->more) return out;
    page.start_after = list->items.back().key;
  }
}

StatusOr<ObjectPtr> ObjectService::Delete(const schema::KindInfo& kind, std::string_view name,
                                          std::string_view resource_version,
                                          const WriteOptions& options) {
  int64_t expected = 0;
  if (!ParseRevision(resource_version, expected)) {
    return InvalidArgument("metadata.resourceVersion", "must be a revision number");
  }
  if (kind.kind == "TaskDefinition" && name.find(':') == std::string_view::npos) {
    // A family: every revision goes; the latest is returned.
    auto revisions = FamilyRevisions(kind, name);
    if (!revisions.ok()) return revisions.status();
    if (revisions->empty()) {
      return Status(Code::kNotFound, "taskdefinition \"" + std::string(name) + "\" not found");
    }
    if (!options.dry_run) {
      for (const auto& [revision, item] : *revisions) {
        auto r = store_.Delete(ObjectKey(kind, Meta(*item).name()), 0);
        if (!r.ok() && r.error().code != store::Code::kNotFound)
          return FromStore(r.error(), kind, name);
      }
    }
    return std::move(revisions->back().second);
  }
  for (int attempt = 0; attempt < kApplyAttempts; ++attempt) {
    auto kv = store_.Get(ObjectKey(kind, name));
    if (!kv.ok()) return FromStore(kv.error(), kind, name);
    if (expected != 0 && expected != kv->mod_revision)
      return Stale(kind, name, resource_version, kv->mod_revision);
    auto object = Load(kind, *kv);
    if (!object.ok()) return object.status();
    if (options.dry_run) return object;
    auto r = store_.Delete(ObjectKey(kind, name), kv->mod_revision);
    // Written between the read and the delete (a controller's status): a delete the caller did
    // not pin goes ahead on the new version, as kubectl's does.
    if (!r.ok() && r.error().code == store::Code::kAborted && expected == 0) continue;
    if (!r.ok()) return FromStore(r.error(), kind, name);
    return object;
  }
  return Status(Code::kAborted, kind.singular + " \"" + std::string(name) +
                                    "\" kept changing while being deleted; retry");
}

StatusOr<ObjectPtr> ObjectService::Mutate(const schema::KindInfo& kind, std::string_view name,
                                          const Mutation& mutate, std::string_view manager) {
  const std::string key = ObjectKey(kind, name);
  for (int attempt = 0; attempt < kApplyAttempts; ++attempt) {
    auto kv = store_.Get(key);
    if (!kv.ok()) return FromStore(kv.error(), kind, name);
    auto current = Load(kind, *kv);
    if (!current.ok()) return current.status();
    ObjectPtr edited((*current)->New());
    edited->CopyFrom(**current);
    auto changed = mutate(*edited);
    if (!changed.ok()) return changed.status();
    if (!*changed) return std::move(*current);
    // Server-owned metadata stays as stored, whatever the mutation did.
    v1::ObjectMeta* meta = MutableMeta(*edited);
    const v1::ObjectMeta& was = Meta(**current);
    meta->set_name(was.name());
    meta->set_uid(was.uid());
    meta->set_creation_timestamp(was.creation_timestamp());
    meta->set_generation(was.generation());
    *meta->mutable_managed_fields() = was.managed_fields();
    meta->clear_resource_version();
    if (kind.records_field_managers) {
      RecordUpdate(current->get(), *edited, manager.empty() ? kUnknownManager : manager,
                   FormatTime(clock_.Now()));
    }
    if (!MessageDifferencer::Equals(Spec(**current), Spec(*edited))) {
      meta->set_generation(was.generation() + 1);
    }
    auto rev = store_.Update(key, Encode(*edited), kv->mod_revision);
    if (!rev.ok() && rev.error().code == store::Code::kAborted) continue;
    if (!rev.ok()) return FromStore(rev.error(), kind, name);
    meta->set_resource_version(std::to_string(*rev));
    return edited;
  }
  return Status(Code::kAborted,
                kind.singular + " \"" + std::string(name) + "\" kept changing; retry");
}

StatusOr<ObjectPtr> ObjectService::UpdateStatus(const Message& object) {
  const schema::KindInfo* kind = schema::KindOf(object);
  if (!kind) return Status(Code::kInvalidArgument, "unknown kind", "kind");
  const v1::ObjectMeta& want = Meta(object);
  int64_t pinned = 0;
  if (!ParseRevision(want.resource_version(), pinned)) {
    return InvalidArgument("metadata.resourceVersion", "must be a revision number");
  }
  const std::string key = ObjectKey(*kind, want.name());
  for (int attempt = 0; attempt < kApplyAttempts; ++attempt) {
    auto kv = store_.Get(key);
    if (!kv.ok()) return FromStore(kv.error(), *kind, want.name());
    if (pinned != 0 && pinned != kv->mod_revision) {
      return Stale(*kind, want.name(), want.resource_version(), kv->mod_revision);
    }
    auto current = Load(*kind, *kv);
    if (!current.ok()) return current.status();
    if (MessageDifferencer::Equals(StatusOf(**current), StatusOf(object)))
      return std::move(*current);
    MutableStatus(**current)->CopyFrom(StatusOf(object));
    auto rev = store_.Update(key, Encode(**current), kv->mod_revision);
    if (!rev.ok() && rev.error().code == store::Code::kAborted && pinned == 0) continue;
    if (!rev.ok()) return FromStore(rev.error(), *kind, want.name());
    MutableMeta(**current)->set_resource_version(std::to_string(*rev));
    return std::move(*current);
  }
  return Status(Code::kAborted, kind->singular + " \"" + want.name() + "\" kept changing; retry");
}

StatusOr<CommitResult> ObjectService::Commit(const std::vector<ObjectWrite>& writes) {
  if (writes.empty()) return InvalidArgument("writes", "a commit needs at least one write");
  if (writes.size() > store::kMaxTxnOps) {
    return InvalidArgument("writes", "a commit has at most " + std::to_string(store::kMaxTxnOps) +
                                         " writes, got " + std::to_string(writes.size()));
  }
  struct Prepared {
    const schema::KindInfo* kind;
    std::string name;
    int64_t pinned = 0;
  };
  std::vector<Prepared> prepared;
  prepared.reserve(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) {
    const ObjectWrite& w = writes[i];
    const std::string field = "writes[" + std::to_string(i) + "]";
    const schema::KindInfo* kind = w.object ? schema::KindOf(*w.object) : nullptr;
    if (!kind) return InvalidArgument(field, "not an object of a known kind");
    if (kind->kind == "TaskDefinition") {
      return InvalidArgument(field, "task definitions are registered one at a time");
    }
    Prepared p{kind, Meta(*w.object).name(), 0};
    if (!ParseRevision(Meta(*w.object).resource_version(), p.pinned)) {
      return InvalidArgument(field + ".metadata.resourceVersion", "must be a revision number");
    }
    if (w.type == ObjectWrite::Type::kCreate) {
      if (auto st = validation::ValidateObject(*kind, *w.object); !st.ok()) return st;
    }
    prepared.push_back(std::move(p));
  }
  for (int attempt = 0; attempt < kApplyAttempts; ++attempt) {
    CommitResult result;
    std::vector<store::TxnOp> ops;
    ops.reserve(writes.size());
    for (size_t i = 0; i < writes.size(); ++i) {
      const ObjectWrite& w = writes[i];
      const Prepared& p = prepared[i];
      std::string key = ObjectKey(*p.kind, p.name);
      if (w.type == ObjectWrite::Type::kCreate) {
        ObjectPtr created = NewObjectFrom(*p.kind, *w.object, w.keep_status);
        if (p.kind->records_field_managers) {
          RecordUpdate(nullptr, *created, kUnknownManager, FormatTime(clock_.Now()));
        }
        ops.push_back(store::TxnOp::Create(std::move(key), Encode(*created)));
        result.objects.push_back(std::move(created));
        continue;
      }
      auto kv = store_.Get(key);
      if (!kv.ok()) return FromStore(kv.error(), *p.kind, p.name);
      if (p.pinned != 0 && p.pinned != kv->mod_revision) {
        return Stale(*p.kind, p.name, Meta(*w.object).resource_version(), kv->mod_revision);
      }
      auto current = Load(*p.kind, *kv);
      if (!current.ok()) return current.status();
      if (w.type == ObjectWrite::Type::kDelete) {
        ops.push_back(store::TxnOp::Delete(std::move(key), kv->mod_revision));
      } else {
        MutableStatus(**current)->CopyFrom(StatusOf(*w.object));
        ops.push_back(store::TxnOp::Update(std::move(key), Encode(**current), kv->mod_revision));
      }
      result.objects.push_back(std::move(*current));
    }
    auto rev = store_.Txn(std::move(ops));
    if (!rev.ok()) {
      const int failed = rev.error().op;
      const bool retry = rev.error().code == store::Code::kAborted && failed >= 0 &&
                         prepared[static_cast<size_t>(failed)].pinned == 0;
      if (retry) continue;
      if (failed >= 0) {
        const Prepared& p = prepared[static_cast<size_t>(failed)];
        return FromStore(rev.error(), *p.kind, p.name);
      }
      return FromStore(rev.error(), *prepared.front().kind, "");
    }
    result.revision = *rev;
    for (size_t i = 0; i < writes.size(); ++i) {
      if (writes[i].type != ObjectWrite::Type::kDelete)
        MutableMeta(*result.objects[i])->set_resource_version(std::to_string(*rev));
    }
    return result;
  }
  return Status(Code::kAborted, "the objects of the commit kept changing; retry");
}

StatusOr<std::unique_ptr<ObjectWatch>> ObjectService::Watch(const schema::KindInfo& kind,
                                                            std::string_view resource_version,
                                                            const LabelSelector& selector) {
  int64_t after = 0;
  if (!ParseRevision(resource_version, after)) {
    return InvalidArgument("resourceVersion", "must be a revision number, got '" +
                                                  std::string(resource_version) + "'");
  }
  auto w = store_.Watch("/registry/" + kind.plural + "/", after);
  if (!w.ok()) return FromStore(w.error(), kind, "");
  return std::make_unique<ObjectWatch>(kind, std::move(w).value(), selector);
}

ObjectWatch::Poll ObjectWatch::Next(ObjectEvent& event, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    store::WatchEvent e;
    switch (watch_->Next(e, left)) {
      case store::Watch::Poll::kTimeout:
        return Poll::kTimeout;
      case store::Watch::Poll::kClosed:
        return Poll::kClosed;
      case store::Watch::Poll::kEvent:
        break;
    }
    ObjectPtr m = schema::NewObject(kind_);
    if (!m->ParseFromString(e.kv.value)) continue;  // not ours to crash on; skip
    MutableMeta(*m)->set_resource_version(std::to_string(e.kv.mod_revision));
    if (!selector_.Matches(Meta(*m).labels())) continue;
    if (filter_ && !filter_(*m)) continue;
    event.type = e.type == store::WatchEvent::Type::kDelete
                     ? ObjectEvent::Type::kDeleted
                     : (e.created ? ObjectEvent::Type::kAdded : ObjectEvent::Type::kModified);
    event.object = std::move(m);
    return Poll::kEvent;
  }
}

}  // namespace gantry::api
