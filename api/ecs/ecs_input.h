#pragma once

// The ECS JSON protocol's request side: members read as botocore's model types them, with the
// first error kept for the whole request and named by its member path.

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/status/status.h"

namespace gantry::ecs {

using Json = nlohmann::json;  // requests

// Reads the members of one JSON object as botocore's model types them. The first error is kept
// (shared by the readers of nested objects) and reported once everything is read; unknown members
// are ignored and null counts as absent, as AWS's JSON protocol does.
class Input {
 public:
  Input(const Json& object, std::string path, std::shared_ptr<api::Status> error)
      : object_(&object), path_(std::move(path)), error_(std::move(error)) {}

  bool ok() const { return error_->ok(); }
  const api::Status& status() const { return *error_; }
  std::string Path(std::string_view name) const {
    return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
  }
  bool Has(std::string_view name) const { return Member(name) != nullptr; }
  void Fail(std::string field, std::string message) {
    if (error_->ok()) *error_ = api::InvalidArgument(std::move(field), std::move(message));
  }
  void Require(std::string_view name) {
    if (!Has(name)) Fail(Path(name), "is required");
  }
  // Members present and not null.
  std::vector<std::string> Keys() const {
    std::vector<std::string> out;
    for (auto it = object_->begin(); it != object_->end(); ++it) {
      if (!it->is_null()) out.push_back(it.key());
    }
    return out;
  }

  std::optional<std::string> String(std::string_view name) {
    const Json* m = Member(name);
    if (!m) return std::nullopt;
    if (!m->is_string()) {
      TypeError(Path(name), *m, "a string");
      return std::nullopt;
    }
    return m->get<std::string>();
  }
  std::string StringOr(std::string_view name, std::string fallback) {
    auto s = String(name);
    return s ? std::move(*s) : std::move(fallback);
  }
  std::optional<int64_t> Int(std::string_view name, int64_t min, int64_t max) {
    const Json* m = Member(name);
    if (!m) return std::nullopt;
    return IntValue(*m, Path(name), min, max);
  }
  // A JSON number (botocore's Double).
  std::optional<double> Number(std::string_view name) {
    const Json* m = Member(name);
    if (!m) return std::nullopt;
    if (!m->is_number()) {
      TypeError(Path(name), *m, "a number");
      return std::nullopt;
    }
    return m->get<double>();
  }
  std::optional<bool> Bool(std::string_view name) {
    const Json* m = Member(name);
    if (!m) return std::nullopt;
    if (!m->is_boolean()) {
      TypeError(Path(name), *m, "a boolean");
      return std::nullopt;
    }
    return m->get<bool>();
  }
  std::vector<std::string> Strings(std::string_view name) {
    std::vector<std::string> out;
    const Json* m = Array(name);
    if (!m) return out;
    for (size_t i = 0; i < m->size(); ++i) {
      const Json& item = (*m)[i];
      if (!item.is_string()) {
        TypeError(Index(name, i), item, "a string");
        return {};
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }
  std::vector<Input> Objects(std::string_view name) {
    std::vector<Input> out;
    const Json* m = Array(name);
    if (!m) return out;
    for (size_t i = 0; i < m->size(); ++i) {
      const Json& item = (*m)[i];
      if (!item.is_object()) {
        TypeError(Index(name, i), item, "an object");
        return {};
      }
      out.emplace_back(item, Index(name, i), error_);
    }
    return out;
  }
  std::optional<Input> Object(std::string_view name) {
    const Json* m = Member(name);
    if (!m) return std::nullopt;
    if (!m->is_object()) {
      TypeError(Path(name), *m, "an object");
      return std::nullopt;
    }
    return Input(*m, Path(name), error_);
  }
  // The number of items of a list member (0 when absent or not a list).
  size_t Count(std::string_view name) const {
    const Json* m = Member(name);
    return m && m->is_array() ? m->size() : 0;
  }

  std::optional<int64_t> IntValue(const Json& v, const std::string& field, int64_t min,
                                  int64_t max) {
    int64_t value = 0;
    if (v.is_number_unsigned()) {
      uint64_t u = v.get<uint64_t>();
      value = u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                  ? std::numeric_limits<int64_t>::max()
                  : static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
      value = v.get<int64_t>();
    } else if (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>() &&
               std::abs(v.get<double>()) < 9e15) {
      value = static_cast<int64_t>(v.get<double>());
    } else {
      TypeError(field, v, "an integer");
      return std::nullopt;
    }
    if (value < min || value > max) {
      Fail(field, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                      ", got " + v.dump());
      return std::nullopt;
    }
    return value;
  }

 private:
  const Json* Member(std::string_view name) const {
    auto it = object_->find(std::string(name));
    if (it == object_->end() || it->is_null()) return nullptr;
    return &*it;
  }
  const Json* Array(std::string_view name) {
    const Json* m = Member(name);
    if (!m) return nullptr;
    if (!m->is_array()) {
      TypeError(Path(name), *m, "a list");
      return nullptr;
    }
    return m;
  }
  std::string Index(std::string_view name, size_t i) const {
    return Path(name) + "[" + std::to_string(i) + "]";
  }
  void TypeError(const std::string& field, const Json& got, const char* want) {
    Fail(field, std::string("expected ") + want + ", got " + got.type_name());
  }

  const Json* object_;
  std::string path_;
  std::shared_ptr<api::Status> error_;
};

// Renames a service-layer field path into the request's members: spec.containers[0].name →
// containerDefinitions[0].name.
api::Status Renamed(const api::Status& status,
                    std::initializer_list<std::pair<std::string_view, std::string_view>> renames);

}  // namespace gantry::ecs
