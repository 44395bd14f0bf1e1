#include "api/codec/object_codec.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <yaml-cpp/emitter.h>
#include <yaml-cpp/null.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>

namespace gantry::codec {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr int kMaxStructDepth = 64;

// Carries where we are, to build errors, and where to note the fields the document sets.
struct Context {
  std::string_view source;
  int document;
  schema::FieldSet* fields = nullptr;  // null inside a list (a list is one field)

  void Note(std::string path) const {
    if (fields) fields->insert(std::move(path));
  }
};

api::Status Fail(const Context& ctx, const YamlNode& at, const std::string& field,
                 const std::string& message) {
  std::string where = std::string(ctx.source) + ": document " + std::to_string(ctx.document);
  if (at.mark.line > 0) {
    where +=
        ", line " + std::to_string(at.mark.line) + ", column " + std::to_string(at.mark.column);
  }
  return api::Status(api::Code::kInvalidArgument,
                     where + ": " + (field.empty() ? "" : field + ": ") + message, field);
}

std::string Join(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

template <typename T>
bool ParseInteger(const std::string& s, T& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && ptr == s.data() + s.size();
}

// A plain scalar that reads as a number in free-form YAML (an Event's detail): what from_chars
// takes, if finite. "inf" and "nan" stay strings (JSON has no such numbers, so ToJson could not
// print them); YAML 1.2 spells those .inf and .nan anyway.
bool ParseNumber(const std::string& s, double& out) {
  return ParseInteger(s, out) && std::isfinite(out);
}

bool ParseBool(const YamlNode& n, bool& out) {
  if (!n.IsScalar() || n.quoted) return false;
  const std::string& s = n.scalar;
  if (s == "true" || s == "True" || s == "TRUE") return out = true, true;
  if (s == "false" || s == "False" || s == "FALSE") return out = false, true;
  return false;
}

// YAML 1.2 limits an implicit key to 1024 characters, and yaml-cpp refuses some longer ones (a
// flow key whose escapes cross that mark), so a key whose JSON form is longer would make ToJson
// print text that does not read back. The JSON form is protobuf's own (it writes '<' as \u003c).
constexpr size_t kMaxJsonKeyChars = 1024;

api::Status CheckKeyLength(const Context& ctx, const YamlNode& key, const std::string& path) {
  if (key.scalar.size() * 6 + 2 <= kMaxJsonKeyChars) return {};  // short whatever it escapes to
  google::protobuf::Value v;
  v.set_string_value(key.scalar);
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(v, &json);
  if (json.size() <= kMaxJsonKeyChars) return {};
  return Fail(ctx, key, path,
              "keys may be at most " + std::to_string(kMaxJsonKeyChars) +
                  " characters long as JSON (YAML's limit for implicit keys), got " +
                  std::to_string(json.size()));
}

api::Status ToValue(const Context& ctx, const YamlNode& n, const std::string& path,
                    google::protobuf::Value* v, int depth);

api::Status ToStruct(const Context& ctx, const YamlNode& n, const std::string& path,
                     google::protobuf::Struct* s, int depth) {
  if (!n.IsMap()) return Fail(ctx, n, path, std::string("must be a mapping, got ") + n.KindName());
  for (const auto& e : n.entries) {
    if (!e.key.IsScalar()) return Fail(ctx, e.key, path, "keys must be strings");
    if (auto st = CheckKeyLength(ctx, e.key, path); !st.ok()) return st;
    auto& fields = *s->mutable_fields();
    if (fields.count(e.key.scalar)) {
      return Fail(ctx, e.key, Join(path, e.key.scalar), "field is given more than once");
    }
    if (auto st = ToValue(ctx, e.value, Join(path, e.key.scalar), &fields[e.key.scalar], depth + 1);
        !st.ok()) {
      return st;
    }
  }
  return {};
}

// Free-form YAML (an Event's detail) to google.protobuf.Value, inferring the types of plain
// scalars the way YAML 1.2's core schema does.
api::Status ToValue(const Context& ctx, const YamlNode& n, const std::string& path,
                    google::protobuf::Value* v, int depth) {
  if (depth > kMaxStructDepth) return Fail(ctx, n, path, "nested too deeply");
  switch (n.kind) {
    case YamlNode::Kind::kNull:
      v->set_null_value(google::protobuf::NULL_VALUE);
      return {};
    case YamlNode::Kind::kScalar: {
      bool b;
      double d;
      if (!n.quoted && (n.scalar == "null" || n.scalar == "~")) {
        v->set_null_value(google::protobuf::NULL_VALUE);
      } else if (ParseBool(n, b)) {
        v->set_bool_value(b);
      } else if (!n.quoted && ParseNumber(n.scalar, d)) {
        v->set_number_value(d);
      } else {
        v->set_string_value(n.scalar);
      }
      return {};
    }
    case YamlNode::Kind::kSequence:
      for (size_t k = 0; k < n.items.size(); ++k) {
        if (auto st = ToValue(ctx, n.items[k], path + "[" + std::to_string(k) + "]",
                              v->mutable_list_value()->add_values(), depth + 1);
            !st.ok()) {
          return st;
        }
      }
      if (n.items.empty()) v->mutable_list_value();
      return {};
    case YamlNode::Kind::kMap:
      return ToStruct(ctx, n, path, v->mutable_struct_value(), depth);
  }
  return {};
}

api::Status ToMessage(const Context& ctx, const YamlNode& n, const std::string& path, Message* m);

// One scalar element (of a singular or repeated field).
api::Status SetScalar(const Context& ctx, const YamlNode& n, const std::string& path, Message* m,
                      const FieldDescriptor* f) {
  const Reflection* r = m->GetReflection();
  const bool repeated = f->is_repeated();
  auto type_error = [&](const char* what) {
    std::string got = n.IsScalar() ? "'" + n.scalar + "'" : n.KindName();
    return Fail(ctx, n, path, std::string("must be ") + what + ", got " + got);
  };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (!n.IsScalar()) return type_error("a string");
      repeated ? r->AddString(m, f, n.scalar) : r->SetString(m, f, n.scalar);
      return {};
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!n.IsScalar() || !ParseInteger(n.scalar, v)) return type_error("a 32-bit integer");
      repeated ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
      return {};
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!n.IsScalar() || !ParseInteger(n.scalar, v)) return type_error("an integer");
      repeated ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
      return {};
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (!ParseBool(n, v)) return type_error("true or false");
      repeated ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
      return {};
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* child = repeated ? r->AddMessage(m, f) : r->MutableMessage(m, f);
      if (f->message_type()->full_name() == "google.protobuf.Struct") {
        return ToStruct(ctx, n, path, static_cast<google::protobuf::Struct*>(child), 0);
      }
      return ToMessage(ctx, n, path, child);
    }
    default:
      return Fail(ctx, n, path, "field type is not supported in manifests");
  }
}

api::Status SetMap(const Context& ctx, const YamlNode& n, const std::string& path, Message* m,
                   const FieldDescriptor* f) {
  // All map fields in the schema are map<string, string> (labels, annotations).
  if (!n.IsMap()) return Fail(ctx, n, path, std::string("must be a mapping, got ") + n.KindName());
  const Reflection* r = m->GetReflection();
  const FieldDescriptor* key_field = f->message_type()->map_key();
  const FieldDescriptor* value_field = f->message_type()->map_value();
  std::set<std::string> seen;
  for (const auto& e : n.entries) {
    if (!e.key.IsScalar()) return Fail(ctx, e.key, path, "keys must be strings");
    if (auto st = CheckKeyLength(ctx, e.key, path); !st.ok()) return st;
    std::string child = path + "." + e.key.scalar;
    if (!seen.insert(e.key.scalar).second)
      return Fail(ctx, e.key, child, "key is given more than once");
    if (!e.value.IsScalar() && !e.value.IsNull()) {
      return Fail(ctx, e.value, child, std::string("must be a string, got ") + e.value.KindName());
    }
    ctx.Note(schema::MapKeyPath(path, e.key.scalar));
    Message* entry = r->AddMessage(m, f);
    entry->GetReflection()->SetString(entry, key_field, e.key.scalar);
    entry->GetReflection()->SetString(entry, value_field, e.value.IsNull() ? "" : e.value.scalar);
  }
  return {};
}

api::Status ToMessage(const Context& ctx, const YamlNode& n, const std::string& path, Message* m) {
  if (n.IsNull()) return {};
  if (!n.IsMap()) return Fail(ctx, n, path, std::string("must be a mapping, got ") + n.KindName());
  const Descriptor* d = m->GetDescriptor();
  std::set<const FieldDescriptor*> seen;
  for (const auto& e : n.entries) {
    if (!e.key.IsScalar()) return Fail(ctx, e.key, path, "field names must be strings");
    const std::string& name = e.key.scalar;
    const std::string field_path = Join(path, name);
    const FieldDescriptor* f = nullptr;
    for (int k = 0; k < d->field_count() && !f; ++k) {
      if (d->field(k)->json_name() == name || d->field(k)->name() == name) f = d->field(k);
    }
    if (!f) {
      std::string known;
      for (int k = 0; k < d->field_count(); ++k)
        known += (k ? ", " : "") + d->field(k)->json_name();
      return Fail(ctx, e.key, field_path,
                  "unknown field '" + name + "'" +
                      (known.empty() ? "" : " (expected one of: " + known + ")"));
    }
    if (!seen.insert(f).second)
      return Fail(ctx, e.key, field_path, "field is given more than once");
    if (e.value.IsNull()) continue;  // null: leave unset, as protobuf's JSON mapping does
    if (f->is_map()) {
      if (auto st = SetMap(ctx, e.value, field_path, m, f); !st.ok()) return st;
    } else if (f->is_repeated()) {
      if (!e.value.IsSequence()) {
        return Fail(ctx, e.value, field_path,
                    std::string("must be a list, got ") + e.value.KindName());
      }
      ctx.Note(field_path);
      Context element = ctx;
      element.fields = nullptr;
      for (size_t k = 0; k < e.value.items.size(); ++k) {
        if (auto st = SetScalar(element, e.value.items[k],
                                field_path + "[" + std::to_string(k) + "]", m, f);
            !st.ok()) {
          return st;
        }
      }
    } else {
      const size_t noted = ctx.fields ? ctx.fields->size() : 0;
      if (auto st = SetScalar(ctx, e.value, field_path, m, f); !st.ok()) return st;
      // A scalar, a Struct, or a message given with nothing in it: the field itself.
      if (!ctx.fields || ctx.fields->size() == noted) ctx.Note(field_path);
    }
  }
  return {};
}

// YAML emission from the JSON form: keeps protobuf's mapping (names, int64 as strings are not
// used: we print numbers) in one place.
void EmitValue(YAML::Emitter& out, const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kNullValue:
      out << YAML::Null;
      break;
    case google::protobuf::Value::kBoolValue:
      out << (v.bool_value() ? "true" : "false");
      break;
    case google::protobuf::Value::kNumberValue: {
      double d = v.number_value();
      // Whole numbers up to 2^53 print as integers; the range check comes first, as casting a
      // double outside int64's range is undefined.
      if (std::abs(d) < 9.007199254740992e15 && d == std::trunc(d)) {
        out << static_cast<int64_t>(d);
      } else {
        out << d;
      }
      break;
    }
    case google::protobuf::Value::kStringValue: {
      // Quote strings that would read back as another type (true, 123, 2.5, null, Null, "").
      const std::string& s = v.string_value();
      bool b;
      double d;
      YamlNode probe;
      probe.kind = YamlNode::Kind::kScalar;
      probe.scalar = s;
      bool ambiguous = YAML::IsNullString(s) || ParseBool(probe, b) || ParseNumber(s, d);
      // yaml-cpp writes control characters such as '\r' into plain scalars as they are, and
      // the reader then takes them for line breaks; in double quotes they are escaped.
      bool control = std::any_of(s.begin(), s.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      });
      if (ambiguous || control) out << YAML::DoubleQuoted;
      out << s;
      break;
    }
    case google::protobuf::Value::kListValue:
      out << YAML::BeginSeq;
      for (const auto& item : v.list_value().values()) EmitValue(out, item);
      out << YAML::EndSeq;
      break;
    case google::protobuf::Value::kStructValue: {
      // Sorted, so the same object always prints the same way.
      std::map<std::string, const google::protobuf::Value*> sorted;
      for (const auto& [k, item] : v.struct_value().fields()) sorted[k] = &item;
      if (sorted.empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& [k, item] : sorted) {
        out << YAML::Key << k << YAML::Value;
        EmitValue(out, *item);
      }
      out << YAML::EndMap;
      break;
    }
    default:
      out << YAML::Null;
  }
}

void EmitString(YAML::Emitter& out, const std::string& s) {
  google::protobuf::Value v;
  v.set_string_value(s);
  EmitValue(out, v);
}

void EmitMessage(YAML::Emitter& out, const Message& m);

// The value of one field, a default one included; a map's keys sorted, or only those `keep`
// lets through.
void EmitFieldValue(YAML::Emitter& out, const Message& m, const FieldDescriptor* f,
                    const std::function<bool(const std::string&)>& keep = nullptr) {
  const Reflection* r = m.GetReflection();
  if (f->is_map()) {
    std::map<std::string, std::string> sorted;
    for (int i = 0; i < r->FieldSize(m, f); ++i) {
      const Message& entry = r->GetRepeatedMessage(m, f, i);
      const Reflection* er = entry.GetReflection();
      std::string key = er->GetString(entry, f->message_type()->map_key());
      if (!keep || keep(key)) sorted[key] = er->GetString(entry, f->message_type()->map_value());
    }
    if (sorted.empty()) out << YAML::Flow;
    out << YAML::BeginMap;
    for (const auto& [k, v] : sorted) {
      out << YAML::Key << k << YAML::Value;
      EmitString(out, v);
    }
    out << YAML::EndMap;
    return;
  }
  auto emit_one = [&](int index) {
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        EmitString(out, index < 0 ? r->GetString(m, f) : r->GetRepeatedString(m, f, index));
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        out << (index < 0 ? r->GetInt32(m, f) : r->GetRepeatedInt32(m, f, index));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        out << (index < 0 ? r->GetInt64(m, f) : r->GetRepeatedInt64(m, f, index));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        out << ((index < 0 ? r->GetBool(m, f) : r->GetRepeatedBool(m, f, index)) ? "true"
                                                                                 : "false");
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        EmitMessage(out, index < 0 ? r->GetMessage(m, f) : r->GetRepeatedMessage(m, f, index));
        break;
      default:
        out << YAML::Null;
    }
  };
  if (f->is_repeated()) {
    if (r->FieldSize(m, f) == 0) out << YAML::Flow;
    out << YAML::BeginSeq;
    for (int i = 0; i < r->FieldSize(m, f); ++i) emit_one(i);
    out << YAML::EndSeq;
  } else {
    emit_one(-1);
  }
}

// Fields in schema order; maps sorted by key; unset fields left out (as in the JSON form).
void EmitMessage(YAML::Emitter& out, const Message& m) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  if (d->full_name() == "google.protobuf.Struct") {
    google::protobuf::Value v;
    *v.mutable_struct_value() = static_cast<const google::protobuf::Struct&>(m);
    EmitValue(out, v);
    return;
  }
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);  // set fields, in field-number order
  if (fields.empty()) out << YAML::Flow;
  out << YAML::BeginMap;
  for (const FieldDescriptor* f : fields) {
    out << YAML::Key << f->json_name() << YAML::Value;
    EmitFieldValue(out, m, f);
  }
  out << YAML::EndMap;
}

// Whether `fields` names `path` or something inside it.
bool NamesOrHolds(const schema::FieldSet& fields, const std::string& path) {
  for (auto it = fields.lower_bound(path); it != fields.end(); ++it) {
    if (it->compare(0, path.size(), path) != 0) return false;
    if (schema::FieldsOverlap(*it, path)) return true;
  }
  return false;
}

// The fields of `m` that `fields` names, default values included.
void EmitFields(YAML::Emitter& out, const Message& m, const schema::FieldSet& fields,
                const std::string& prefix) {
  const Descriptor* d = m.GetDescriptor();
  out << YAML::BeginMap;
  for (int k = 0; k < d->field_count(); ++k) {
    const FieldDescriptor* f = d->field(k);
    const std::string path = Join(prefix, f->json_name());
    if (!NamesOrHolds(fields, path)) continue;
    out << YAML::Key << f->json_name() << YAML::Value;
    if (fields.count(path) || f->is_repeated() ||
        f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        f->message_type()->full_name() == "google.protobuf.Struct") {
      EmitFieldValue(out, m, f, [&](const std::string& key) {
        return fields.count(path) || fields.count(schema::MapKeyPath(path, key));
      });
    } else {
      EmitFields(out, m.GetReflection()->GetMessage(m, f), fields, path);
    }
  }
  out << YAML::EndMap;
}

}  // namespace

api::StatusOr<Manifest> DecodeObject(const YamlNode& doc, std::string_view source_name,
                                     int document_index) {
  Manifest out;
  Context ctx{source_name, document_index, &out.fields};
  if (!doc.IsMap())
    return Fail(ctx, doc, "", std::string("a manifest must be a mapping, got ") + doc.KindName());
  const YamlNode* api_version = nullptr;
  const YamlNode* kind = nullptr;
  for (const auto& e : doc.entries) {
    if (e.key.IsScalar() && e.key.scalar == "apiVersion") api_version = &e.value;
    if (e.key.IsScalar() && e.key.scalar == "kind") kind = &e.value;
  }
  if (!kind || !kind->IsScalar() || kind->scalar.empty())
    return Fail(ctx, doc, "kind", "is required");
  const schema::KindInfo* info = schema::FindKind(kind->scalar);
  if (!info) {
    std::string known;
    for (const auto& k : schema::Kinds()) known += (known.empty() ? "" : ", ") + k.kind;
    return Fail(ctx, *kind, "kind",
                "unknown kind '" + kind->scalar + "' (expected one of: " + known + ")");
  }
  if (!api_version || !api_version->IsScalar()) return Fail(ctx, doc, "apiVersion", "is required");
  if (api_version->scalar != schema::kApiVersion) {
    return Fail(ctx, *api_version, "apiVersion",
                "unsupported apiVersion '" + api_version->scalar + "' (expected " +
                    std::string(schema::kApiVersion) + ")");
  }
  out.kind = info;
  out.object = schema::NewObject(*info);
  out.document = document_index;
  out.mark = doc.mark;
  if (auto st = ToMessage(ctx, doc, "", out.object.get()); !st.ok()) return st;
  return out;
}

bool IsManifestFileName(std::string_view name) {
  for (std::string_view ext : {".yaml", ".yml", ".json"}) {
    if (name.size() > ext.size() && name.substr(name.size() - ext.size()) == ext) return true;
  }
  return false;
}

std::string PlaceOf(const Manifest& manifest) {
  return manifest.source + ": document " + std::to_string(manifest.document) + ", line " +
         std::to_string(manifest.mark.line);
}

api::StatusOr<std::vector<Manifest>> DecodeManifests(std::string_view text,
                                                     std::string_view source_name) {
  YamlError error;
  auto docs = ParseYaml(text, error);
  if (!docs) {
    std::string where = std::string(source_name);
    if (error.mark.line > 0) {
      where += ": line " + std::to_string(error.mark.line) + ", column " +
               std::to_string(error.mark.column);
    }
    return api::Status(api::Code::kInvalidArgument, where + ": " + error.message);
  }
  std::vector<Manifest> out;
  for (size_t k = 0; k < docs->size(); ++k) {
    auto m = DecodeObject((*docs)[k], source_name, static_cast<int>(k + 1));
    if (!m.ok()) return m.status();
    m->source = std::string(source_name);
    out.push_back(std::move(m).value());
  }
  return out;
}

std::string ToJson(const Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

std::string ToYaml(const Message& message) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetDoublePrecision(std::numeric_limits<double>::max_digits10);  // reads back exactly
  EmitMessage(out, message);
  return std::string(out.c_str()) + "\n";
}

std::string ToYaml(const Message& message, const schema::FieldSet& fields) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetDoublePrecision(std::numeric_limits<double>::max_digits10);
  EmitFields(out, message, fields, "");
  return std::string(out.c_str()) + "\n";
}

}  // namespace gantry::codec
