#include "api/fleet/launch_tokens.h"

#include <google/protobuf/struct.pb.h>
#include <openssl/evp.h>

namespace gantry::fleet {
namespace {

// Tokens may hold '/', so the key carries them hex-encoded.
std::string KeyOf(std::string_view token) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key(kLaunchTokenPrefix);
  for (unsigned char c : token) {
    key += kHex[c >> 4];
    key += kHex[c & 0xf];
  }
  return key;
}

api::Status FromStoreError(const store::Error& e) {
  return api::Status(static_cast<api::Code>(static_cast<int>(e.code)),
                     "clientToken record: " + e.message);
}

// A record is a protobuf Struct (serialized like every other store value): no schema change for
// a value nothing but this file reads.
std::string Encode(const LaunchRecord& r) {
  google::protobuf::Struct record;
  auto& fields = *record.mutable_fields();
  fields["fingerprint"].set_string_value(r.fingerprint);
  // Milliseconds since the epoch stay exact in a double until the year 287396.
  fields["createdAtMs"].set_number_value(static_cast<double>(r.created_ms));
  fields["cluster"].set_string_value(r.cluster);
  auto* tasks = fields["tasks"].mutable_list_value();
  for (const auto& id : r.task_ids) tasks->add_values()->set_string_value(id);
  auto* failures = fields["failures"].mutable_list_value();
  for (const auto& f : r.failures) {
    auto& item = *failures->add_values()->mutable_struct_value()->mutable_fields();
    item["arn"].set_string_value(f.arn);
    item["reason"].set_string_value(f.reason);
    item["detail"].set_string_value(f.detail);
  }
  return record.SerializeAsString();
}

std::optional<LaunchRecord> Decode(std::string_view value) {
  google::protobuf::Struct record;
  if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) return std::nullopt;
  const auto& fields = record.fields();
  auto field = [&](const auto& map, const char* name,
                   google::protobuf::Value::KindCase kind) -> const google::protobuf::Value* {
    auto it = map.find(name);
    return it != map.end() && it->second.kind_case() == kind ? &it->second : nullptr;
  };
  using Kind = google::protobuf::Value::KindCase;
  const auto* fingerprint = field(fields, "fingerprint", Kind::kStringValue);
  const auto* created = field(fields, "createdAtMs", Kind::kNumberValue);
  const auto* cluster = field(fields, "cluster", Kind::kStringValue);
  const auto* tasks = field(fields, "tasks", Kind::kListValue);
  const auto* failures = field(fields, "failures", Kind::kListValue);
  if (!fingerprint || !created || !cluster || !tasks || !failures) return std::nullopt;
  LaunchRecord r;
  r.fingerprint = fingerprint->string_value();
  r.created_ms = static_cast<int64_t>(created->number_value());
  r.cluster = cluster->string_value();
  for (const auto& id : tasks->list_value().values()) {
    if (id.kind_case() != Kind::kStringValue) return std::nullopt;
    r.task_ids.push_back(id.string_value());
  }
  for (const auto& f : failures->list_value().values()) {
    if (f.kind_case() != Kind::kStructValue) return std::nullopt;
    const auto& item = f.struct_value().fields();
    const auto* arn = field(item, "arn", Kind::kStringValue);
    const auto* reason = field(item, "reason", Kind::kStringValue);
    const auto* detail = field(item, "detail", Kind::kStringValue);
    if (!arn || !reason || !detail) return std::nullopt;
    r.failures.push_back({arn->string_value(), reason->string_value(), detail->string_value()});
  }
  return r;
}

bool Expired(int64_t created_ms, int64_t now_ms) {
  return now_ms - created_ms >=
         std::chrono::duration_cast<std::chrono::milliseconds>(kClientTokenLifetime).count();
}

// Length-prefixed, so no two different requests serialize alike.
void Put(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
  out += ';';
}

}  // namespace

api::Status ValidateClientToken(std::string_view token) {
  if (token.size() > kMaxClientTokenLength) {
    return api::InvalidArgument(
        "clientToken", "must be at most 64 characters, got " + std::to_string(token.size()));
  }
  for (size_t i = 0; i < token.size(); ++i) {
    auto c = static_cast<unsigned char>(token[i]);
    if (c < 33 || c > 126) {
      return api::InvalidArgument(
          "clientToken",
          "may contain only printable ASCII characters (33-126, no spaces); "
          "character " +
              std::to_string(i + 1) + " is code " + std::to_string(c));
    }
  }
  return {};
}

std::string LaunchFingerprint(std::string_view operation, const LaunchRequest& request) {
  std::string canonical;
  Put(canonical, operation);
  Put(canonical, request.cluster.empty() ? kDefaultCluster : ShortName(request.cluster));
  Put(canonical, ShortName(request.task_definition));
  Put(canonical, std::to_string(request.count));
  Put(canonical, request.group);
  Put(canonical, request.started_by);
  Put(canonical, std::to_string(request.constraints.size()));
  for (const auto& c : request.constraints) {
    Put(canonical, c.type());
    Put(canonical, c.has_expression() ? "+" + c.expression() : "-");
  }
  Put(canonical, std::to_string(request.strategies.size()));
  for (const auto& s : request.strategies) {
    Put(canonical, s.type());
    Put(canonical, s.field().empty() ? "-" : "+" + s.field());
  }
  Put(canonical, std::to_string(request.container_instances.size()));
  for (const auto& i : request.container_instances) Put(canonical, ShortName(i));

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

api::Status LaunchTokens::Load() {
  std::map<std::string, Entry> index;
  store::ListOptions page{.start_after = "", .limit = 1000};
  while (true) {
    auto listed = store_.List(kLaunchTokenPrefix, page);
    if (!listed.ok()) return FromStoreError(listed.error());
    for (const auto& kv : listed->items) {
      auto record = Decode(kv.value);
      // An unreadable record gets age 0: the next sweep removes it.
      index[kv.key] = Entry{record ? record->created_ms : 0, kv.mod_revision};
    }
    if (!listed->more || listed->items.empty()) break;
    page.start_after = listed->items.back().key;
  }
  std::lock_guard lock(mu_);
  index_ = std::move(index);
  return {};
}

api::StatusOr<std::optional<LaunchRecord>> LaunchTokens::Find(std::string_view token,
                                                              int64_t now_ms) const {
  auto got = store_.Get(KeyOf(token));
  if (!got.ok()) {
    if (got.code() == store::Code::kNotFound) return std::optional<LaunchRecord>();
    return FromStoreError(got.error());
  }
  auto record = Decode(got->value);
  if (!record || Expired(record->created_ms, now_ms)) return std::optional<LaunchRecord>();
  return record;
}

bool LaunchTokens::Recorded(std::string_view token, int64_t now_ms) const {
  std::lock_guard lock(mu_);
  auto it = index_.find(KeyOf(token));
  return it != index_.end() && !Expired(it->second.created_ms, now_ms);
}

api::Status LaunchTokens::Save(std::string_view token, const LaunchRecord& record) {
  const std::string key = KeyOf(token);
  const std::string value = Encode(record);
  // Create, or replace an expired record; a sweep may delete that one in between.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto created = store_.Create(key, value);
    if (created.ok()) {
      std::lock_guard lock(mu_);
      index_[key] = Entry{record.created_ms, *created};
      return {};
    }
    if (created.code() != store::Code::kAlreadyExists) return FromStoreError(created.error());
    auto updated = store_.Update(key, value, 0);
    if (updated.ok()) {
      std::lock_guard lock(mu_);
      index_[key] = Entry{record.created_ms, *updated};
      return {};
    }
    if (updated.code() != store::Code::kNotFound) return FromStoreError(updated.error());
  }
  return api::Status(api::Code::kAborted, "clientToken record: the key kept changing", "");
}

size_t LaunchTokens::CollectExpired(int64_t now_ms) {
  std::vector<std::pair<std::string, Entry>> expired;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, entry] : index_) {
      if (Expired(entry.created_ms, now_ms)) expired.emplace_back(key, entry);
    }
  }
  size_t deleted = 0;
  for (const auto& [key, entry] : expired) {
    // The expected revision keeps a record saved again since (a reused token) alive.
    auto gone = store_.Delete(key, entry.revision);
    if (!gone.ok() && gone.code() != store::Code::kNotFound) continue;
    if (gone.ok()) ++deleted;
    std::lock_guard lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end() && it->second.revision == entry.revision) index_.erase(it);
  }
  return deleted;
}

}  // namespace gantry::fleet
