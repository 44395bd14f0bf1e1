#include "api/service/field_managers.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gantry/v1/meta.pb.h"

namespace gantry::api {
namespace {

using google::protobuf::Message;

constexpr std::string_view kOwnedRoots[] = {"spec", "metadata.labels", "metadata.annotations"};

struct Entry {
  std::string manager;
  std::string operation;
  std::string time;
  schema::FieldSet fields;

  bool Is(std::string_view m, std::string_view op) const { return manager == m && operation == op; }
};

std::vector<Entry> EntriesOf(const Message& object) {
  std::vector<Entry> out;
  for (const v1::ManagedFieldsEntry& e : schema::MetaOf(object).managed_fields()) {
    out.push_back({e.manager(), e.operation(), e.time(), {e.fields().begin(), e.fields().end()}});
  }
  return out;
}

void StoreEntries(Message& object, const std::vector<Entry>& entries) {
  auto* out = schema::MutableMetaOf(object)->mutable_managed_fields();
  out->Clear();
  for (const Entry& e : entries) {
    if (e.fields.empty()) continue;
    v1::ManagedFieldsEntry* stored = out->Add();
    stored->set_manager(e.manager);
    stored->set_operation(e.operation);
    stored->set_time(e.time);
    stored->mutable_fields()->Add(e.fields.begin(), e.fields.end());
  }
}

bool OverlapsAny(std::string_view path, const schema::FieldSet& fields) {
  return std::any_of(fields.begin(), fields.end(),
                     [&](const std::string& f) { return schema::FieldsOverlap(path, f); });
}

void EraseOverlapping(schema::FieldSet& fields, const schema::FieldSet& taken) {
  for (auto it = fields.begin(); it != fields.end();) {
    it = OverlapsAny(*it, taken) ? fields.erase(it) : std::next(it);
  }
}

std::string ConflictMessage(const std::vector<std::pair<std::string, std::string>>& conflicts) {
  std::string out = "apply failed with " + std::to_string(conflicts.size()) +
                    (conflicts.size() == 1 ? " conflict: " : " conflicts: ");
  for (size_t k = 0; k < conflicts.size(); ++k) {
    out += (k ? "; " : "") + std::string("conflict with \"") + conflicts[k].first +
           "\": " + conflicts[k].second;
  }
  return out +
         " (another manager set these to other values: leave them out of the manifest, set them "
         "to the live values, or force the apply to take them over)";
}

}  // namespace

Status ValidateFieldManager(std::string_view manager) {
  if (manager.size() > kMaxFieldManagerLength) {
    return InvalidArgument("fieldManager",
                           "must be at most " + std::to_string(kMaxFieldManagerLength) +
                               " characters, got " + std::to_string(manager.size()));
  }
  for (char c : manager) {
    if (c < 0x20 || c > 0x7e) {
      return InvalidArgument("fieldManager", "must be printable ASCII");
    }
  }
  return {};
}

schema::FieldSet OwnedFields(const schema::FieldSet& fields) {
  schema::FieldSet out;
  for (const std::string& f : fields) {
    bool owned =
        std::any_of(std::begin(kOwnedRoots), std::end(kOwnedRoots), [&](std::string_view root) {
          return f.size() > root.size() && f.compare(0, root.size(), root) == 0 &&
                 (f[root.size()] == '.' || f[root.size()] == '[');
        });
    if (owned) out.insert(f);
  }
  return out;
}

schema::FieldSet SetFieldsOf(const Message& object) {
  std::unique_ptr<Message> empty(object.New());
  schema::FieldSet out;
  for (std::string_view root : kOwnedRoots) {
    schema::FieldChanges changes = schema::ChangedFields(*empty, object, root);
    out.insert(changes.changed.begin(), changes.changed.end());
  }
  return out;
}

StatusOr<std::unique_ptr<Message>> MergeApply(const Message& live, const Message& manifest,
                                              const schema::FieldSet& applied,
                                              std::string_view manager, bool force,
                                              std::string_view now) {
  std::vector<Entry> entries = EntriesOf(live);
  if (entries.empty()) {
    // Stored before fields had managers: its first server-side apply takes the fields it finds
    // as if it had set them, so what the manifest leaves out goes, as the plain apply it
    // replaces would have done; from then on, ownership decides.
    entries.push_back(
        {std::string(manager), std::string(kApplyOperation), std::string(now), SetFieldsOf(live)});
  }
  schema::FieldSet changing;  // applied fields whose value this apply changes
  for (const std::string& p : applied) {
    if (!schema::SameValueAt(live, manifest, p)) changing.insert(p);
  }

  std::vector<std::pair<std::string, std::string>> conflicts;
  for (const std::string& p : changing) {
    for (const Entry& e : entries) {
      if (!e.Is(manager, kApplyOperation) && OverlapsAny(p, e.fields)) {
        conflicts.emplace_back(e.manager, p);
      }
    }
  }
  if (!conflicts.empty() && !force) {
    return Status(Code::kAborted, ConflictMessage(conflicts), conflicts.front().second);
  }
  for (Entry& e : entries) {
    if (!e.Is(manager, kApplyOperation)) EraseOverlapping(e.fields, changing);
  }

  std::unique_ptr<Message> merged(live.New());
  merged->CopyFrom(live);
  for (const std::string& p : applied) schema::CopyFieldAt(manifest, *merged, p);

  auto self = std::find_if(entries.begin(), entries.end(),
                           [&](const Entry& e) { return e.Is(manager, kApplyOperation); });
  if (self != entries.end()) {
    // What this manager set before and leaves out now goes, unless someone else owns it too.
    for (const std::string& dropped : self->fields) {
      if (OverlapsAny(dropped, applied)) continue;
      bool shared = std::any_of(entries.begin(), entries.end(), [&](const Entry& e) {
        return !e.Is(manager, kApplyOperation) && OverlapsAny(dropped, e.fields);
      });
      if (!shared) schema::ClearFieldAt(*merged, dropped);
    }
    if (self->fields != applied || !changing.empty()) self->time = std::string(now);
    self->fields = applied;
  } else {
    entries.push_back(
        {std::string(manager), std::string(kApplyOperation), std::string(now), applied});
  }
  StoreEntries(*merged, entries);
  return merged;
}

void RecordCreatingApply(Message& created, const schema::FieldSet& applied,
                         std::string_view manager, std::string_view now) {
  StoreEntries(created,
               {{std::string(manager), std::string(kApplyOperation), std::string(now), applied}});
}

void RecordUpdate(const Message* before, Message& after, std::string_view manager,
                  std::string_view now) {
  std::unique_ptr<Message> empty;
  if (!before) {
    empty.reset(after.New());
    before = empty.get();
  }
  schema::FieldSet changed, removed;
  for (std::string_view root : kOwnedRoots) {
    schema::FieldChanges changes = schema::ChangedFields(*before, after, root);
    changed.insert(changes.changed.begin(), changes.changed.end());
    removed.insert(changes.removed.begin(), changes.removed.end());
  }
  if (changed.empty() && removed.empty()) return;

  std::vector<Entry> entries = EntriesOf(after);
  schema::FieldSet taken = changed;
  taken.insert(removed.begin(), removed.end());
  for (Entry& e : entries) EraseOverlapping(e.fields, taken);
  auto self = std::find_if(entries.begin(), entries.end(),
                           [&](const Entry& e) { return e.Is(manager, kUpdateOperation); });
  if (self == entries.end()) {
    entries.push_back({std::string(manager), std::string(kUpdateOperation), "", {}});
    self = std::prev(entries.end());
  }
  self->fields.insert(changed.begin(), changed.end());
  self->time = std::string(now);
  StoreEntries(after, entries);
}

}  // namespace gantry::api
