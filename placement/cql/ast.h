#pragma once

// The compiled form of a cluster query language expression: a flat tree of And/Or/Not nodes over
// predicates. Literals are parsed and regular expressions compiled once, at parse time, so that
// evaluation never re-parses.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "placement/cql/regex.h"

namespace gantry::placement::cql {

enum class Subject : uint8_t {
  kAttribute,          // attribute:NAME
  kAgentConnected,     // agentConnected
  kAgentVersion,       // agentVersion
  kEc2InstanceId,      // ec2InstanceId
  kRegisteredAt,       // registeredAt
  kRunningTasksCount,  // runningTasksCount
  kTaskGroup,          // task:group
};

enum class Op : uint8_t {
  kEq,
  kNe,
  kGt,
  kGe,
  kLt,
  kLe,
  kExists,
  kNotExists,
  kIn,
  kNotIn,
  kMatches,
  kNotMatches,
};

const char* SubjectName(Subject s);
const char* OpSymbol(Op op);

// True for subjects whose value changes as tasks are placed within one request.
inline bool IsDynamic(Subject s) {
  return s == Subject::kRunningTasksCount || s == Subject::kTaskGroup;
}

struct Predicate {
  Subject subject = Subject::kAttribute;
  Op op = Op::kEq;
  std::string attribute;            // the NAME of attribute:NAME
  std::vector<std::string> values;  // one literal, or the list of in / !in; empty for exists
  // Typed forms of `values`, filled where the subject needs them.
  std::vector<int64_t> integers;  // runningTasksCount counts, registeredAt milliseconds
  std::vector<std::optional<double>> numbers;  // attribute literals that read as numbers
  std::optional<Regex> regex;                  // matches / not_matches
  uint32_t column = 0;                         // 1-based column of the subject
};

struct Node {
  enum class Kind : uint8_t { kPredicate, kAnd, kOr, kNot };
  Kind kind = Kind::kPredicate;
  uint32_t a = 0;  // predicate index, or left/only child node index
  uint32_t b = 0;  // right child node index (And, Or)
};

}  // namespace gantry::placement::cql
