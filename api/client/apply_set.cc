#include "api/client/apply_set.h"

#include <algorithm>
#include <optional>
#include <set>

#include "gantry/v1/objects.pb.h"

namespace gantry::client {
namespace {

using api::Code;
using api::Status;

ObjectKey KeyOf(const ApplySetObject& o) {
  return {o.kind->kind, schema::MetaOf(*o.object).name()};
}

size_t KindRank(const std::string& kind) {
  const auto& kinds = schema::Kinds();
  for (size_t i = 0; i < kinds.size(); ++i)
    if (kinds[i].kind == kind) return i;
  return kinds.size();
}

v1::Inventory InventoryOf(const std::string& name, const std::set<ObjectKey>& members) {
  v1::Inventory inventory;
  schema::SetTypeMeta(inventory, *schema::FindKind("Inventory"));
  inventory.mutable_metadata()->set_name(name);
  for (const auto& key : members) {
    auto* m = inventory.mutable_spec()->add_members();
    m->set_kind(key.kind);
    m->set_name(key.name);
  }
  return inventory;
}

// Writes (or with dry_run only checks) the inventory listing `members`.
Status Record(ApplySetTarget& target, const std::string& name, const std::set<ObjectKey>& members,
              const ApplySetOptions& options, bool dry_run) {
  return target
      .Apply(*schema::FindKind("Inventory"), InventoryOf(name, members),
             {.dry_run = dry_run, .field_manager = options.field_manager})
      .status();
}

std::string WithSource(const ApplySetObject& o, const std::string& message) {
  return o.source.empty() ? message : o.source + ": " + message;
}

// The server's answer about one manifest, led by where the manifest is (as the decoder's
// errors are): "deploy/c.yaml: document 1, line 1: spec.desiredCount: must be ...".
Status WithSource(const ApplySetObject& o, const Status& st) {
  if (o.source.empty()) return st;
  return Status(st.code(), o.source + ": " + st.ToString(), st.field());
}

// The members the stored inventory lists (none when it does not exist yet).
api::StatusOr<std::vector<ObjectKey>> MembersOf(ApplySetTarget& target,
                                                const std::string& inventory) {
  auto stored = target.Get(*schema::FindKind("Inventory"), inventory);
  if (!stored.ok()) return stored.status();
  std::vector<ObjectKey> members;
  if (*stored) {
    for (const auto& m : static_cast<const v1::Inventory&>(**stored).spec().members())
      members.push_back({m.kind(), m.name()});
  }
  return members;
}

}  // namespace

std::string OwningInventory(const google::protobuf::Message& object) {
  const auto& labels = schema::MetaOf(object).labels();
  auto it = labels.find(std::string(kInventoryLabel));
  return it == labels.end() ? "" : it->second;
}

std::unique_ptr<google::protobuf::Message> Labelled(const google::protobuf::Message& object,
                                                    const std::string& inventory) {
  auto copy = std::unique_ptr<google::protobuf::Message>(object.New());
  copy->CopyFrom(object);
  (*schema::MutableMetaOf(*copy)->mutable_labels())[std::string(kInventoryLabel)] = inventory;
  return copy;
}

api::StatusOr<std::unique_ptr<google::protobuf::Message>> ObjectOrNone(
    api::StatusOr<std::unique_ptr<google::protobuf::Message>> got) {
  if (!got.ok() && got.status().code() == Code::kNotFound)
    return std::unique_ptr<google::protobuf::Message>();
  return got;
}

std::vector<ApplySetObject> ApplySetObjectsOf(const std::vector<codec::Manifest>& manifests) {
  std::vector<ApplySetObject> objects;
  objects.reserve(manifests.size());
  for (const auto& m : manifests) {
    objects.push_back({m.kind, m.object.get(), codec::PlaceOf(m), &m.fields});
  }
  return objects;
}

std::string Describe(const ObjectKey& key) {
  const schema::KindInfo* kind = schema::FindKind(key.kind);
  return (kind ? kind->singular : key.kind) + "/" + key.name;
}

bool ApplySetResult::ok() const {
  if (!error.ok()) return false;
  return std::all_of(lines.begin(), lines.end(), [](const auto& l) { return l.error.ok(); });
}

std::vector<ObjectKey> ApplySetResult::pruned() const {
  std::vector<ObjectKey> out;
  for (const auto& l : lines)
    if (l.outcome == "pruned") out.push_back(l.key);
  return out;
}

std::vector<ObjectKey> PruneOrder(const std::vector<ObjectKey>& previous,
                                  const std::vector<ObjectKey>& current) {
  const std::set<ObjectKey> keep(current.begin(), current.end());
  std::vector<ObjectKey> out;
  for (const auto& key : std::set<ObjectKey>(previous.begin(), previous.end()))
    if (!keep.count(key)) out.push_back(key);
  std::stable_sort(out.begin(), out.end(), [](const ObjectKey& a, const ObjectKey& b) {
    return KindRank(a.kind) > KindRank(b.kind);
  });
  return out;
}

Status MayOwn(const std::string& inventory, const ObjectKey& key,
              const google::protobuf::Message* live) {
  if (!live) return {};
  const std::string owner = OwningInventory(*live);
  if (owner.empty() || owner == inventory) return {};
  return Status(Code::kFailedPrecondition,
                Describe(key) + " belongs to inventory \"" + owner + "\" (label " +
                    std::string(kInventoryLabel) + "), not \"" + inventory +
                    "\": apply it with --inventory " + owner +
                    ", or take it out of that inventory's manifests and prune it there first",
                "metadata.labels." + std::string(kInventoryLabel));
}

api::StatusOr<std::vector<PruneCandidate>> WouldPrune(ApplySetTarget& target,
                                                      const std::string& inventory,
                                                      const std::vector<ObjectKey>& current) {
  auto previous = MembersOf(target, inventory);
  if (!previous.ok()) return previous.status();
  std::vector<PruneCandidate> out;
  for (const auto& key : PruneOrder(*previous, current)) {
    const schema::KindInfo* kind = schema::FindKind(key.kind);
    if (!kind) continue;
    auto live = target.Get(*kind, key.name);
    if (!live.ok()) return live.status();
    if (*live && OwningInventory(**live) == inventory) out.push_back({key, std::move(*live)});
  }
  return out;
}

ApplySetResult RunApplySet(ApplySetTarget& target, const std::vector<ApplySetObject>& objects,
                           const ApplySetOptions& options,
                           const std::function<void(const ApplySetLine&)>& on_line) {
  ApplySetResult result;
  auto emit = [&](ApplySetLine line) {
    if (on_line) on_line(line);
    result.lines.push_back(std::move(line));
  };

  // The set as the manifests give it: each object once, labelled for this inventory.
  std::vector<ObjectKey> current;
  std::vector<std::unique_ptr<google::protobuf::Message>> labelled;
  // The fields each labelled object gives (its manifest's and the label), when known.
  std::vector<std::optional<schema::FieldSet>> labelled_fields(objects.size());
  auto apply_options = [&](size_t i, bool dry_run) {
    return ApplyOptions{.dry_run = dry_run,
                        .field_manager = options.field_manager,
                        .server_side = !options.field_manager.empty(),
                        .fields = labelled_fields[i] ? &*labelled_fields[i] : nullptr,
                        .force_conflicts = options.force_conflicts};
  };
  std::set<ObjectKey> seen;
  bool refused = false;
  for (const auto& o : objects) {
    ObjectKey key = KeyOf(o);
    if (key.kind == "Inventory") {
      emit({key, "",
            Status(Code::kInvalidArgument,
                   WithSource(o,
                              "an Inventory is written by apply --prune, not applied "
                              "as one of its members"),
                   "kind"),
            ""});
      refused = true;
      continue;
    }
    if (!seen.insert(key).second) {
      emit({key, "",
            Status(Code::kInvalidArgument,
                   WithSource(o, Describe(key) + " is given twice in the manifests"),
                   "metadata.name"),
            ""});
      refused = true;
      continue;
    }
    const std::string owner = OwningInventory(*o.object);
    if (!owner.empty() && owner != options.inventory) {
      emit({key, "",
            Status(Code::kInvalidArgument,
                   WithSource(o, "the manifest labels " + Describe(key) + " " +
                                     std::string(kInventoryLabel) + "=" + owner +
                                     ", but it is applied with --inventory " + options.inventory),
                   "metadata.labels." + std::string(kInventoryLabel)),
            ""});
      refused = true;
      continue;
    }
    current.push_back(key);
    labelled.push_back(Labelled(*o.object, options.inventory));
    if (o.fields) {
      labelled_fields[current.size() - 1] = *o.fields;
      labelled_fields[current.size() - 1]->insert(
          schema::MapKeyPath("metadata.labels", kInventoryLabel));
    }
  }
  if (refused) return result;

  auto stored = MembersOf(target, options.inventory);
  if (!stored.ok()) {
    result.error = stored.status();
    return result;
  }
  const std::vector<ObjectKey>& previous = *stored;

  // Nothing is written until every object may join and passes the server's checks.
  // Kinds in the order they depend on each other (task definitions before the Services and
  // Environments that name them, Deployments last), the manifests' order within a kind.
  std::vector<size_t> order(current.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return KindRank(current[a].kind) < KindRank(current[b].kind);
  });
  for (size_t i : order) {
    const ApplySetObject& o = objects[i];
    auto live = target.Get(*o.kind, current[i].name);
    Status st = live.ok() ? MayOwn(options.inventory, current[i], live->get()) : live.status();
    if (st.ok()) {
      auto checked = target.Apply(*o.kind, *labelled[i], apply_options(i, true));
      if (!checked.ok()) st = checked.status();
      if (options.dry_run && st.ok()) {
        emit({current[i], *checked, {}, ""});
        continue;
      }
    }
    if (!st.ok()) {
      emit({current[i], "", WithSource(o, st), ""});
      refused = true;
    }
  }
  std::set<ObjectKey> members(previous.begin(), previous.end());
  members.insert(current.begin(), current.end());
  // The inventory's own checks (its name, its size) before anything else is written.
  if (Status checked = Record(target, options.inventory, members, options, true); !checked.ok()) {
    result.error = checked;
    return result;
  }
  if (refused) return result;

  if (!options.dry_run) {
    // Recorded first: a crash between here and the end leaves every applied object listed, so
    // the next apply can still prune it.
    if (Status recorded = Record(target, options.inventory, members, options, false);
        !recorded.ok()) {
      result.error = recorded;
      return result;
    }
    for (size_t i : order) {
      auto applied = target.Apply(*objects[i].kind, *labelled[i], apply_options(i, false));
      if (applied.ok()) {
        emit({current[i], *applied, {}, ""});
      } else {
        emit({current[i], "", applied.status(), ""});
      }
    }
    // One failed apply: the manifests are not what the cluster runs, so nothing is pruned on
    // their word.
    if (!result.ok()) return result;
  }

  std::set<ObjectKey> remaining(current.begin(), current.end());
  if (!options.prune) remaining = members;
  for (const auto& key : options.prune ? PruneOrder(previous, current) : std::vector<ObjectKey>{}) {
    const schema::KindInfo* kind = schema::FindKind(key.kind);
    if (!kind) continue;  // a kind this server no longer has: nothing to delete
    auto live = target.Get(*kind, key.name);
    if (!live.ok()) {
      emit({key, "", live.status(), ""});
      remaining.insert(key);
      continue;
    }
    if (!*live) continue;  // already gone
    const std::string owner = OwningInventory(**live);
    if (owner != options.inventory) {
      emit({key,
            "kept",
            {},
            owner.empty()
                ? "no longer labelled " + std::string(kInventoryLabel) + "=" + options.inventory
                : "now owned by inventory \"" + owner + "\""});
      continue;
    }
    Status deleted =
        target.Delete(*kind, key.name, schema::MetaOf(**live).resource_version(), options.dry_run);
    if (deleted.ok() || deleted.code() == Code::kNotFound) {
      emit({key, "pruned", {}, ""});
    } else {
      emit({key, "", deleted, ""});
      remaining.insert(key);  // the next apply tries again
    }
  }
  if (!options.dry_run) {
    result.error = Record(target, options.inventory, remaining, options, false);
    if (result.error.ok()) result.members.assign(remaining.begin(), remaining.end());
  }
  return result;
}

}  // namespace gantry::client
