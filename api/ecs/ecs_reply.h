#pragma once

// The ECS JSON protocol's answer side: bodies in the member order ECS writes, pages of names,
// and the failures lists of Describe* and RunTask.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/ecs/ecs_handler.h"

namespace gantry::ecs {

using OutJson = nlohmann::ordered_json;  // responses, in the order ECS writes them

inline constexpr int kMaxPage = 100;         // ECS list operations: 1..100, default 100
inline constexpr size_t kMaxDescribe = 100;  // Describe*: at most 100 names

template <typename T>
std::string Dump(const T& j) {
  return j.dump(-1, ' ', false, T::error_handler_t::replace);
}

// "[a,b]" from bodies already serialized.
std::string JsonArray(const std::vector<std::string>& items);

EcsResponse Ok(std::string body);
EcsResponse Ok(const OutJson& body);

// One page of `keys` (sorted in the order listed) after `token`, the key that ended the
// previous page. Keys stay valid as tokens while objects come and go between pages.
struct PageRange {
  size_t begin = 0;
  size_t end = 0;
  std::string next_token;
};
PageRange Paginate(const std::vector<std::string>& keys, const std::string& token, size_t max,
                   bool descending = false);

// {"<member>": [item(key) for one page of the sorted `keys`], "nextToken": ...}: the answer of
// every List* whose page is a list of names.
OutJson NamePage(const char* member, std::vector<std::string> keys, const std::string& token,
                 size_t max, const std::function<std::string(const std::string&)>& item);

struct Failure {
  std::string arn;
  std::string reason;
  std::string detail;
};
OutJson Failures(const std::vector<Failure>& failures);

// {"<list_name>": [objects...], "failures": [...]}
std::string WithFailures(std::string_view list_name, const std::vector<std::string>& objects,
                         const std::vector<Failure>& failures);

}  // namespace gantry::ecs
