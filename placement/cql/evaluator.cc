#include "placement/cql/evaluator.h"

#include "placement/cql/literals.h"

namespace gantry::placement::cql {
namespace {

bool RegexMatches(const Predicate& p, std::string_view value) { return p.regex->FullMatch(value); }

bool IsNegative(Op op) {
  return op == Op::kNe || op == Op::kNotIn || op == Op::kNotMatches || op == Op::kNotExists;
}

// The positive operator a negative one negates.
Op PositiveOf(Op op) {
  switch (op) {
    case Op::kNe:
      return Op::kEq;
    case Op::kNotIn:
      return Op::kIn;
    case Op::kNotMatches:
      return Op::kMatches;
    case Op::kNotExists:
      return Op::kExists;
    default:
      return op;
  }
}

bool Ordered(Op op, int cmp) {
  switch (op) {
    case Op::kGt:
      return cmp > 0;
    case Op::kGe:
      return cmp >= 0;
    case Op::kLt:
      return cmp < 0;
    case Op::kLe:
      return cmp <= 0;
    default:
      return false;
  }
}

template <typename T>
int Compare(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Decides a positive operator on one string value of an attribute.
bool AttributeValueMatches(const Predicate& p, Op op, const std::string& value) {
  switch (op) {
    case Op::kEq:
    case Op::kIn:
      for (const auto& v : p.values)
        if (v == value) return true;
      return false;
    case Op::kMatches:
      return RegexMatches(p, value);
    case Op::kGt:
    case Op::kGe:
    case Op::kLt:
    case Op::kLe: {
      // Numerically when both sides are numbers, else as strings.
      if (p.numbers[0]) {
        if (auto number = ParseNumber(value)) return Ordered(op, Compare(*number, *p.numbers[0]));
      }
      return Ordered(op, value.compare(p.values[0]));
    }
    default:
      return false;
  }
}

bool VersionMatches(const Predicate& p, Op op, const std::string& value) {
  switch (op) {
    case Op::kEq:
    case Op::kIn:
      for (const auto& v : p.values)
        if (CompareVersions(value, v) == 0) return true;
      return false;
    case Op::kMatches:
      return RegexMatches(p, value);
    default:
      return Ordered(op, CompareVersions(value, p.values[0]));
  }
}

bool IntegerMatches(const Predicate& p, Op op, int64_t value) {
  switch (op) {
    case Op::kEq:
    case Op::kIn:
      for (int64_t v : p.integers)
        if (v == value) return true;
      return false;
    default:
      return Ordered(op, Compare(value, p.integers[0]));
  }
}

bool StringMatches(const Predicate& p, Op op, std::string_view value) {
  if (op == Op::kMatches) return RegexMatches(p, value);
  for (const auto& v : p.values)
    if (v == value) return true;
  return false;
}

}  // namespace

BoundExpression::BoundExpression(const Expression& expression, const ClusterSnapshot& snapshot,
                                 std::string request_group)
    : expression_(&expression), snapshot_(&snapshot), request_group_(std::move(request_group)) {
  const auto& preds = expression.predicates();
  positive_bits_.resize(preds.size());
  request_group_matches_.assign(preds.size(), 0);
  std::vector<Bitset> predicate_bits;
  predicate_bits.reserve(preds.size());
  for (size_t k = 0; k < preds.size(); ++k) predicate_bits.push_back(EvaluatePredicate(k));

  // Nodes are stored children-first, so one pass in index order evaluates bottom-up.
  const auto& nodes = expression.nodes();
  node_bits_.resize(nodes.size());
  for (size_t k = 0; k < nodes.size(); ++k) {
    const Node& node = nodes[k];
    switch (node.kind) {
      case Node::Kind::kPredicate:
        node_bits_[k] = std::move(predicate_bits[node.a]);
        break;
      case Node::Kind::kAnd:
        node_bits_[k] = node_bits_[node.a];
        node_bits_[k] &= node_bits_[node.b];
        break;
      case Node::Kind::kOr:
        node_bits_[k] = node_bits_[node.a];
        node_bits_[k] |= node_bits_[node.b];
        break;
      case Node::Kind::kNot:
        node_bits_[k] = node_bits_[node.a];
        node_bits_[k].Flip();
        break;
    }
  }
  scratch_.resize(nodes.size());
  // Only the root and (for dynamic re-evaluation) the predicates are needed from here on.
  if (!expression.is_dynamic()) {
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (k != expression.root() && nodes[k].kind != Node::Kind::kPredicate)
        node_bits_[k] = Bitset();
    }
  }
}

Bitset BoundExpression::EvaluatePredicate(size_t k) {
  const Predicate& p = expression_->predicates()[k];
  const uint32_t n = snapshot_->size();
  Bitset positive = Positive(p);
  if (!IsNegative(p.op)) {
    if (IsDynamic(p.subject)) positive_bits_[k] = positive;
    if (p.subject == Subject::kTaskGroup) {
      request_group_matches_[k] = p.op == Op::kExists || StringMatches(p, p.op, request_group_);
    }
    return positive;
  }

  if (IsDynamic(p.subject)) positive_bits_[k] = positive;
  if (p.subject == Subject::kTaskGroup) {
    Op pos = PositiveOf(p.op);
    request_group_matches_[k] = pos == Op::kExists || StringMatches(p, pos, request_group_);
  }
  // `!exists` is the plain complement of `exists`.
  if (p.op == Op::kNotExists) {
    positive.Flip();
    return positive;
  }
  // Any other negative operator is the complement of its positive form, but only among instances
  // that have the subject at all: `attribute:stack != prod` is false where `stack` is missing.
  Bitset present(n, true);
  switch (p.subject) {
    case Subject::kAttribute: {
      present = Bitset(n);
      if (auto id = snapshot_->attribute_id(p.attribute)) {
        snapshot_->attribute(*id).present().OrInto(present);
      }
      break;
    }
    case Subject::kAgentVersion:
      present = Bitset(n);
      snapshot_->agent_versions().present().OrInto(present);
      break;
    case Subject::kRegisteredAt: {
      present = Bitset(n);
      const auto& col = snapshot_->registered_at_column();
      for (uint32_t i = 0; i < n; ++i)
        if (col[i] != ClusterSnapshot::kNoTime) present.Set(i);
      break;
    }
    default:
      break;  // always present
  }
  present.AndNot(positive);
  return present;
}

Bitset BoundExpression::Positive(const Predicate& p) {
  const uint32_t n = snapshot_->size();
  const Op op = PositiveOf(p.op);
  Bitset out(n);
  switch (p.subject) {
    case Subject::kAttribute: {
      auto id = snapshot_->attribute_id(p.attribute);
      if (!id) return out;
      const ValueIndex& vi = snapshot_->attribute(*id);
      if (op == Op::kExists) {
        vi.present().OrInto(out);
      } else if (op == Op::kEq || op == Op::kIn) {
        for (const auto& v : p.values)
          if (auto vid = vi.Find(v)) vi.members(*vid).OrInto(out);
      } else {
        for (uint32_t v = 0; v < vi.size(); ++v)
          if (AttributeValueMatches(p, op, vi.value(v))) vi.members(v).OrInto(out);
      }
      return out;
    }
    case Subject::kAgentVersion: {
      const ValueIndex& vi = snapshot_->agent_versions();
      if (op == Op::kExists) {
        vi.present().OrInto(out);
        return out;
      }
      for (uint32_t v = 0; v < vi.size(); ++v)
        if (VersionMatches(p, op, vi.value(v))) vi.members(v).OrInto(out);
      return out;
    }
    case Subject::kAgentConnected: {
      if (op == Op::kExists) return Bitset(n, true);
      bool when_true = StringMatches(p, op, "true");
      bool when_false = StringMatches(p, op, "false");
      if (when_true) out |= snapshot_->connected();
      if (when_false) {
        Bitset disconnected = snapshot_->connected();
        disconnected.Flip();
        out |= disconnected;
      }
      return out;
    }
    case Subject::kEc2InstanceId: {
      if (op == Op::kExists) return Bitset(n, true);
      for (uint32_t i = 0; i < n; ++i)
        if (StringMatches(p, op, snapshot_->ec2_instance_id(i))) out.Set(i);
      return out;
    }
    case Subject::kRegisteredAt: {
      const auto& col = snapshot_->registered_at_column();
      for (uint32_t i = 0; i < n; ++i) {
        if (col[i] == ClusterSnapshot::kNoTime) continue;
        if (op == Op::kExists || IntegerMatches(p, op, col[i])) out.Set(i);
      }
      return out;
    }
    case Subject::kRunningTasksCount: {
      if (op == Op::kExists) return Bitset(n, true);
      const auto& col = snapshot_->running_tasks_count();
      for (uint32_t i = 0; i < n; ++i)
        if (IntegerMatches(p, op, col[i])) out.Set(i);
      return out;
    }
    case Subject::kTaskGroup: {
      if (op == Op::kExists) {
        const auto& col = snapshot_->running_tasks_count();
        for (uint32_t i = 0; i < n; ++i)
          if (col[i] > 0) out.Set(i);
        return out;
      }
      auto add_group = [&](uint32_t g) {
        for (const GroupCount& gc : snapshot_->group_members(g)) out.Set(gc.key);
      };
      if (op == Op::kMatches) {
        for (uint32_t g = 0; g < snapshot_->group_count(); ++g)
          if (RegexMatches(p, snapshot_->group_name(g))) add_group(g);
      } else {
        for (const auto& v : p.values)
          if (auto g = snapshot_->group_id(v)) add_group(*g);
      }
      return out;
    }
  }
  return out;
}

bool BoundExpression::PredicateAt(size_t k, uint32_t i, int32_t added_tasks) const {
  // Only called for dynamic predicates on an instance that received tasks.
  const Predicate& p = expression_->predicates()[k];
  bool positive;
  if (p.subject == Subject::kRunningTasksCount) {
    int64_t count = snapshot_->running_tasks_count()[i] + int64_t{added_tasks};
    Op op = PositiveOf(p.op);
    positive = op == Op::kExists || IntegerMatches(p, op, count);
  } else {  // task:group
    positive = positive_bits_[k].Test(i) || request_group_matches_[k];
  }
  return IsNegative(p.op) ? !positive : positive;
}

bool BoundExpression::EvaluateAt(uint32_t i, int32_t added_tasks) const {
  if (added_tasks == 0 || !expression_->is_dynamic()) return result().Test(i);
  const auto& nodes = expression_->nodes();
  for (size_t k = 0; k < nodes.size(); ++k) {
    const Node& node = nodes[k];
    switch (node.kind) {
      case Node::Kind::kPredicate: {
        const Predicate& p = expression_->predicates()[node.a];
        scratch_[k] =
            IsDynamic(p.subject) ? PredicateAt(node.a, i, added_tasks) : node_bits_[k].Test(i);
        break;
      }
      case Node::Kind::kAnd:
        scratch_[k] = scratch_[node.a] && scratch_[node.b];
        break;
      case Node::Kind::kOr:
        scratch_[k] = scratch_[node.a] || scratch_[node.b];
        break;
      case Node::Kind::kNot:
        scratch_[k] = !scratch_[node.a];
        break;
    }
  }
  return scratch_[expression_->root()];
}

}  // namespace gantry::placement::cql
