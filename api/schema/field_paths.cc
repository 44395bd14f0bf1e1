#include "api/schema/field_paths.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/message_differencer.h>

#include <optional>
#include <vector>

namespace gantry::schema {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::util::MessageDifferencer;

// A path resolved against a message type: the singular messages to walk through, the field at
// the end, and the map key when that field is a map.
struct Resolved {
  std::vector<const FieldDescriptor*> through;
  const FieldDescriptor* leaf = nullptr;
  std::optional<std::string_view> key;
};

const FieldDescriptor* FieldByJsonName(const Descriptor* d, std::string_view name) {
  for (int k = 0; k < d->field_count(); ++k) {
    if (d->field(k)->json_name() == name) return d->field(k);
  }
  return nullptr;
}

bool IsStruct(const FieldDescriptor* f) {
  return f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         f->message_type()->full_name() == "google.protobuf.Struct";
}

// A message field a path may walk into: singular, not a map, not a free-form Struct.
bool IsWalkable(const FieldDescriptor* f) {
  return f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated() && !IsStruct(f);
}

// A map names its keys, not itself, unless `whole_map` (a root to compare under).
std::optional<Resolved> Resolve(const Descriptor* d, std::string_view path,
                                bool whole_map = false) {
  Resolved out;
  size_t bracket = path.find('[');
  std::string_view dotted = path.substr(0, bracket);
  if (bracket != std::string_view::npos) {
    if (path.size() < bracket + 2 || path.back() != ']') return std::nullopt;
    out.key = path.substr(bracket + 1, path.size() - bracket - 2);
  }
  while (true) {
    size_t dot = dotted.find('.');
    const FieldDescriptor* f = FieldByJsonName(d, dotted.substr(0, dot));
    if (!f) return std::nullopt;
    if (dot == std::string_view::npos) {
      if (out.key ? !f->is_map() : f->is_map() && !whole_map) return std::nullopt;
      out.leaf = f;
      return out;
    }
    if (!IsWalkable(f)) return std::nullopt;
    out.through.push_back(f);
    d = f->message_type();
    dotted = dotted.substr(dot + 1);
  }
}

const Message& ConstParent(const Message& m, const Resolved& r) {
  const Message* at = &m;
  for (const FieldDescriptor* f : r.through) at = &at->GetReflection()->GetMessage(*at, f);
  return *at;
}

// nullptr when a message on the way is absent and `create` is false.
Message* MutableParent(Message& m, const Resolved& r, bool create) {
  Message* at = &m;
  for (const FieldDescriptor* f : r.through) {
    if (!create && !at->GetReflection()->HasField(*at, f)) return nullptr;
    at = at->GetReflection()->MutableMessage(at, f);
  }
  return at;
}

std::string MapKeyOf(const Message& entry) {
  const FieldDescriptor* key = entry.GetDescriptor()->map_key();
  return entry.GetReflection()->GetString(entry, key);
}

int MapIndexOf(const Message& m, const FieldDescriptor* f, std::string_view key) {
  const Reflection* r = m.GetReflection();
  for (int i = 0; i < r->FieldSize(m, f); ++i) {
    if (MapKeyOf(r->GetRepeatedMessage(m, f, i)) == key) return i;
  }
  return -1;
}

void MapErase(Message& m, const FieldDescriptor* f, std::string_view key) {
  const Reflection* r = m.GetReflection();
  int i = MapIndexOf(m, f, key);
  if (i < 0) return;
  r->SwapElements(&m, f, i, r->FieldSize(m, f) - 1);
  r->RemoveLast(&m, f);
}

bool SameField(const Message& a, const Message& b, const FieldDescriptor* f) {
  return MessageDifferencer().CompareWithFields(a, b, {f}, {f});
}

void CopyField(const Message& from, Message& to, const FieldDescriptor* f) {
  const Reflection* fr = from.GetReflection();
  const Reflection* tr = to.GetReflection();
  tr->ClearField(&to, f);
  if (f->is_repeated()) {
    for (int i = 0; i < fr->FieldSize(from, f); ++i) {
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING:
          tr->AddString(&to, f, fr->GetRepeatedString(from, f, i));
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          tr->AddInt32(&to, f, fr->GetRepeatedInt32(from, f, i));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          tr->AddInt64(&to, f, fr->GetRepeatedInt64(from, f, i));
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          tr->AddUInt32(&to, f, fr->GetRepeatedUInt32(from, f, i));
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          tr->AddUInt64(&to, f, fr->GetRepeatedUInt64(from, f, i));
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
          tr->AddDouble(&to, f, fr->GetRepeatedDouble(from, f, i));
          break;
        case FieldDescriptor::CPPTYPE_FLOAT:
          tr->AddFloat(&to, f, fr->GetRepeatedFloat(from, f, i));
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          tr->AddBool(&to, f, fr->GetRepeatedBool(from, f, i));
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          tr->AddEnumValue(&to, f, fr->GetRepeatedEnumValue(from, f, i));
          break;
        case FieldDescriptor::CPPTYPE_MESSAGE:
          tr->AddMessage(&to, f)->CopyFrom(fr->GetRepeatedMessage(from, f, i));
          break;
      }
    }
    return;
  }
  if (f->has_presence() && !fr->HasField(from, f)) return;  // unset stays unset
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    tr->MutableMessage(&to, f)->CopyFrom(fr->GetMessage(from, f));
    return;
  }
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      tr->SetString(&to, f, fr->GetString(from, f));
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      tr->SetInt32(&to, f, fr->GetInt32(from, f));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      tr->SetInt64(&to, f, fr->GetInt64(from, f));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      tr->SetUInt32(&to, f, fr->GetUInt32(from, f));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      tr->SetUInt64(&to, f, fr->GetUInt64(from, f));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      tr->SetDouble(&to, f, fr->GetDouble(from, f));
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      tr->SetFloat(&to, f, fr->GetFloat(from, f));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      tr->SetBool(&to, f, fr->GetBool(from, f));
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      tr->SetEnumValue(&to, f, fr->GetEnumValue(from, f));
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;  // handled above
  }
}

void DiffMap(const Message& before, const Message& after, const FieldDescriptor* f,
             const std::string& path, FieldChanges& out) {
  const Reflection* br = before.GetReflection();
  const Reflection* ar = after.GetReflection();
  for (int i = 0; i < ar->FieldSize(after, f); ++i) {
    const Message& entry = ar->GetRepeatedMessage(after, f, i);
    int j = MapIndexOf(before, f, MapKeyOf(entry));
    if (j < 0 || !MessageDifferencer::Equals(entry, br->GetRepeatedMessage(before, f, j))) {
      out.changed.insert(MapKeyPath(path, MapKeyOf(entry)));
    }
  }
  for (int j = 0; j < br->FieldSize(before, f); ++j) {
    std::string key = MapKeyOf(br->GetRepeatedMessage(before, f, j));
    if (MapIndexOf(after, f, key) < 0) out.removed.insert(MapKeyPath(path, key));
  }
}

void DiffMessage(const Message& before, const Message& after, const std::string& prefix,
                 FieldChanges& out) {
  const Descriptor* d = after.GetDescriptor();
  for (int k = 0; k < d->field_count(); ++k) {
    const FieldDescriptor* f = d->field(k);
    std::string path = prefix + "." + f->json_name();
    if (f->is_map()) {
      DiffMap(before, after, f, path, out);
    } else if (IsWalkable(f)) {
      bool had = before.GetReflection()->HasField(before, f);
      bool has = after.GetReflection()->HasField(after, f);
      if (!had && !has) continue;
      size_t found = out.changed.size() + out.removed.size();
      DiffMessage(before.GetReflection()->GetMessage(before, f),
                  after.GetReflection()->GetMessage(after, f), path, out);
      if (out.changed.size() + out.removed.size() == found && had != has) out.changed.insert(path);
    } else if (!SameField(before, after, f)) {
      out.changed.insert(path);
    }
  }
}

}  // namespace

std::string MapKeyPath(std::string_view map_path, std::string_view key) {
  std::string out(map_path);
  out += '[';
  out += key;
  out += ']';
  return out;
}

bool FieldsOverlap(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (b.substr(0, a.size()) != a) return false;
  return b.size() == a.size() || b[a.size()] == '.' || b[a.size()] == '[';
}

bool SameValueAt(const Message& a, const Message& b, std::string_view path) {
  auto r = Resolve(a.GetDescriptor(), path);
  if (!r || a.GetDescriptor() != b.GetDescriptor()) return true;
  const Message& pa = ConstParent(a, *r);
  const Message& pb = ConstParent(b, *r);
  if (!r->key) return SameField(pa, pb, r->leaf);
  int ia = MapIndexOf(pa, r->leaf, *r->key);
  int ib = MapIndexOf(pb, r->leaf, *r->key);
  if (ia < 0 || ib < 0) return ia == ib;
  return MessageDifferencer::Equals(pa.GetReflection()->GetRepeatedMessage(pa, r->leaf, ia),
                                    pb.GetReflection()->GetRepeatedMessage(pb, r->leaf, ib));
}

void CopyFieldAt(const Message& from, Message& to, std::string_view path) {
  auto r = Resolve(to.GetDescriptor(), path);
  if (!r || from.GetDescriptor() != to.GetDescriptor()) return;
  const Message& source = ConstParent(from, *r);
  if (!r->key) {
    CopyField(source, *MutableParent(to, *r, true), r->leaf);
    return;
  }
  int i = MapIndexOf(source, r->leaf, *r->key);
  Message* target = MutableParent(to, *r, i >= 0);
  if (!target) return;
  MapErase(*target, r->leaf, *r->key);
  if (i >= 0) {
    target->GetReflection()
        ->AddMessage(target, r->leaf)
        ->CopyFrom(source.GetReflection()->GetRepeatedMessage(source, r->leaf, i));
  }
}

void ClearFieldAt(Message& object, std::string_view path) {
  auto r = Resolve(object.GetDescriptor(), path);
  if (!r) return;
  Message* parent = MutableParent(object, *r, false);
  if (!parent) return;
  if (r->key) {
    MapErase(*parent, r->leaf, *r->key);
  } else {
    parent->GetReflection()->ClearField(parent, r->leaf);
  }
}

FieldChanges ChangedFields(const Message& before, const Message& after, std::string_view root) {
  FieldChanges out;
  auto r = Resolve(after.GetDescriptor(), root, /*whole_map=*/true);
  if (!r || r->key || before.GetDescriptor() != after.GetDescriptor()) return out;
  const Message& b = ConstParent(before, *r);
  const Message& a = ConstParent(after, *r);
  std::string path(root);
  if (r->leaf->is_map()) {
    DiffMap(b, a, r->leaf, path, out);
  } else if (IsWalkable(r->leaf)) {
    DiffMessage(b.GetReflection()->GetMessage(b, r->leaf),
                a.GetReflection()->GetMessage(a, r->leaf), path, out);
  } else if (!SameField(b, a, r->leaf)) {
    out.changed.insert(path);
  }
  return out;
}

}  // namespace gantry::schema
