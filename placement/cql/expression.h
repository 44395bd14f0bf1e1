#pragma once

// A parsed cluster query language expression (ECS CQL), ready to be bound to a snapshot.
//
//   expr      := or
//   or        := and (('or' | '||') and)*
//   and       := unary (('and' | '&&') unary)*
//   unary     := ('not' | '!') unary | '(' expr ')' | predicate
//   predicate := subject operator [value | '[' value (',' value)* ']']
//
// Keywords and operator words are case-insensitive; subjects, attribute names and values are not.

#include <string>
#include <string_view>
#include <vector>

#include "placement/cql/ast.h"
#include "placement/status.h"

namespace gantry::placement::cql {

inline constexpr size_t kMaxExpressionLength = 2000;
inline constexpr int kMaxNestingDepth = 64;

class Expression {
 public:
  // Parses `text`. Errors carry no field (the caller knows which field it parsed) and name the
  // column: "expected an operator after 'attribute:stack' at column 17".
  static Result<Expression> Parse(std::string_view text);

  const std::string& source() const { return source_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<Predicate>& predicates() const { return predicates_; }
  uint32_t root() const { return root_; }
  // True when some predicate reads state that placing a task changes (task:group,
  // runningTasksCount), so the result must be recomputed for instances that receive tasks.
  bool is_dynamic() const { return dynamic_; }

 private:
  friend class Parser;
  std::string source_;
  std::vector<Node> nodes_;
  std::vector<Predicate> predicates_;
  uint32_t root_ = 0;
  bool dynamic_ = false;
};

}  // namespace gantry::placement::cql
