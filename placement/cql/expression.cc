#include "placement/cql/expression.h"

#include <optional>

#include "placement/cql/lexer.h"
#include "placement/cql/literals.h"

namespace gantry::placement::cql {

const char* SubjectName(Subject s) {
  switch (s) {
    case Subject::kAttribute:
      return "attribute";
    case Subject::kAgentConnected:
      return "agentConnected";
    case Subject::kAgentVersion:
      return "agentVersion";
    case Subject::kEc2InstanceId:
      return "ec2InstanceId";
    case Subject::kRegisteredAt:
      return "registeredAt";
    case Subject::kRunningTasksCount:
      return "runningTasksCount";
    case Subject::kTaskGroup:
      return "task:group";
  }
  return "?";
}

const char* OpSymbol(Op op) {
  switch (op) {
    case Op::kEq:
      return "==";
    case Op::kNe:
      return "!=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kExists:
      return "exists";
    case Op::kNotExists:
      return "!exists";
    case Op::kIn:
      return "in";
    case Op::kNotIn:
      return "!in";
    case Op::kMatches:
      return "=~";
    case Op::kNotMatches:
      return "!~";
  }
  return "?";
}

namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool IsOrdering(Op op) { return op == Op::kGt || op == Op::kGe || op == Op::kLt || op == Op::kLe; }
bool IsRegex(Op op) { return op == Op::kMatches || op == Op::kNotMatches; }

std::optional<Op> OperatorWord(std::string_view w) {
  static constexpr std::pair<const char*, Op> kWords[] = {
      {"equals", Op::kEq},       {"not_equals", Op::kNe},
      {"greater_than", Op::kGt}, {"greater_than_equal", Op::kGe},
      {"less_than", Op::kLt},    {"less_than_equal", Op::kLe},
      {"exists", Op::kExists},   {"not_exists", Op::kNotExists},
      {"in", Op::kIn},           {"not_in", Op::kNotIn},
      {"matches", Op::kMatches}, {"not_matches", Op::kNotMatches},
  };
  for (auto [word, op] : kWords)
    if (EqualsIgnoreCase(w, word)) return op;
  return std::nullopt;
}

std::optional<Op> OperatorSymbol(std::string_view s) {
  if (s == "==") return Op::kEq;
  if (s == "!=") return Op::kNe;
  if (s == ">") return Op::kGt;
  if (s == ">=") return Op::kGe;
  if (s == "<") return Op::kLt;
  if (s == "<=") return Op::kLe;
  if (s == "=~") return Op::kMatches;
  if (s == "!~") return Op::kNotMatches;
  return std::nullopt;
}

std::string At(uint32_t column) { return " at column " + std::to_string(column); }

}  // namespace

class Parser {
 public:
  Parser(std::vector<Token> tokens, Expression& out) : tokens_(std::move(tokens)), out_(out) {}

  Status ParseAll() {
    if (Peek().kind == Token::Kind::kEnd) return InvalidArgument("", "empty expression");
    auto root = ParseOr(0);
    if (!root.ok()) return root.error();
    if (Peek().kind != Token::Kind::kEnd) {
      const Token& t = Peek();
      if (t.kind == Token::Kind::kRParen) return Fail("unmatched ')'", t.column);
      return Fail("expected 'and', 'or' or end of input, found " + Describe(t), t.column);
    }
    out_.root_ = *root;
    return {};
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    size_t k = pos_ + ahead;
    return k < tokens_.size() ? tokens_[k] : tokens_.back();
  }
  const Token& Next() {
    const Token& t = Peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return t;
  }
  static Error Fail(const std::string& message, uint32_t column) {
    return InvalidArgument("", message + At(column));
  }
  bool IsKeyword(const Token& t, const char* word) const {
    return t.kind == Token::Kind::kBare && EqualsIgnoreCase(t.text, word);
  }
  uint32_t AddNode(Node::Kind kind, uint32_t a, uint32_t b = 0) {
    out_.nodes_.push_back(Node{kind, a, b});
    return static_cast<uint32_t>(out_.nodes_.size() - 1);
  }

  Result<uint32_t> ParseOr(int depth) {
    auto left = ParseAnd(depth);
    if (!left.ok()) return left;
    uint32_t node = *left;
    while (IsKeyword(Peek(), "or") ||
           (Peek().kind == Token::Kind::kSymbol && Peek().text == "||")) {
      Next();
      auto right = ParseAnd(depth);
      if (!right.ok()) return right;
      node = AddNode(Node::Kind::kOr, node, *right);
    }
    return node;
  }

  Result<uint32_t> ParseAnd(int depth) {
    auto left = ParseUnary(depth);
    if (!left.ok()) return left;
    uint32_t node = *left;
    while (IsKeyword(Peek(), "and") ||
           (Peek().kind == Token::Kind::kSymbol && Peek().text == "&&")) {
      Next();
      auto right = ParseUnary(depth);
      if (!right.ok()) return right;
      node = AddNode(Node::Kind::kAnd, node, *right);
    }
    return node;
  }

  Result<uint32_t> ParseUnary(int depth) {
    const Token& t = Peek();
    if (depth >= kMaxNestingDepth) return Fail("expression nested too deeply", t.column);
    if (IsKeyword(t, "not") || (t.kind == Token::Kind::kSymbol && t.text == "!")) {
      Next();
      auto operand = ParseUnary(depth + 1);
      if (!operand.ok()) return operand;
      return AddNode(Node::Kind::kNot, *operand);
    }
    if (t.kind == Token::Kind::kLParen) {
      Next();
      auto inner = ParseOr(depth + 1);
      if (!inner.ok()) return inner;
      const Token& close = Peek();
      if (close.kind != Token::Kind::kRParen) {
        return Fail("expected ')' to close the '(' at column " + std::to_string(t.column) +
                        ", found " + Describe(close),
                    close.column);
      }
      Next();
      return inner;
    }
    return ParsePredicate();
  }

  Result<uint32_t> ParsePredicate() {
    const Token& subject_token = Next();
    if (subject_token.kind == Token::Kind::kEnd) {
      return Fail("expected an expression", subject_token.column);
    }
    if (subject_token.kind != Token::Kind::kBare || IsKeyword(subject_token, "and") ||
        IsKeyword(subject_token, "or")) {
      return Fail("expected a subject, found " + Describe(subject_token), subject_token.column);
    }
    Predicate p;
    p.column = subject_token.column;
    const std::string& s = subject_token.text;
    static constexpr std::string_view kAttributePrefix = "attribute:";
    if (s.starts_with(kAttributePrefix)) {
      p.subject = Subject::kAttribute;
      p.attribute = s.substr(kAttributePrefix.size());
      if (p.attribute.empty()) {
        return Fail("missing attribute name after 'attribute:'", subject_token.column);
      }
    } else if (s == "agentConnected") {
      p.subject = Subject::kAgentConnected;
    } else if (s == "agentVersion") {
      p.subject = Subject::kAgentVersion;
    } else if (s == "ec2InstanceId") {
      p.subject = Subject::kEc2InstanceId;
    } else if (s == "registeredAt") {
      p.subject = Subject::kRegisteredAt;
    } else if (s == "runningTasksCount") {
      p.subject = Subject::kRunningTasksCount;
    } else if (s == "task:group") {
      p.subject = Subject::kTaskGroup;
    } else {
      return Fail("unknown subject '" + s +
                      "' (expected attribute:NAME, agentConnected, agentVersion, ec2InstanceId, "
                      "registeredAt, runningTasksCount or task:group)",
                  subject_token.column);
    }

    // Operator.
    const Token& op_token = Peek();
    std::optional<Op> op;
    if (op_token.kind == Token::Kind::kSymbol) {
      if (op_token.text == "!") {
        // `!exists` and `!in` are written as '!' followed by the word.
        const Token& word = Peek(1);
        if (IsKeyword(word, "exists")) op = Op::kNotExists;
        if (IsKeyword(word, "in")) op = Op::kNotIn;
        if (op) Next();
      } else {
        op = OperatorSymbol(op_token.text);
      }
    } else if (op_token.kind == Token::Kind::kBare) {
      op = OperatorWord(op_token.text);
    }
    if (!op) {
      return Fail("expected an operator after '" + s + "'", op_token.column);
    }
    Next();
    p.op = *op;
    std::string op_text = OpSymbol(p.op);
    if (auto err = CheckOperator(p, op_token.column); !err.ok()) return err.error();

    // Argument.
    if (p.op == Op::kIn || p.op == Op::kNotIn) {
      const Token& open = Next();
      if (open.kind != Token::Kind::kLBracket) {
        return Fail(
            "expected a list such as [a, b] after '" + op_text + "', found " + Describe(open),
            open.column);
      }
      while (true) {
        const Token& v = Next();
        if (v.kind != Token::Kind::kBare && v.kind != Token::Kind::kQuoted) {
          return Fail("expected a value in the list, found " + Describe(v), v.column);
        }
        if (auto err = AddValue(p, v); !err.ok()) return err.error();
        const Token& sep = Next();
        if (sep.kind == Token::Kind::kRBracket) break;
        if (sep.kind != Token::Kind::kComma) {
          return Fail("expected ',' or ']' in the list, found " + Describe(sep), sep.column);
        }
      }
    } else if (p.op != Op::kExists && p.op != Op::kNotExists) {
      const Token& v = Next();
      if (v.kind != Token::Kind::kBare && v.kind != Token::Kind::kQuoted) {
        return Fail("expected a value after '" + op_text + "', found " + Describe(v), v.column);
      }
      if (auto err = AddValue(p, v); !err.ok()) return err.error();
    }

    if (IsDynamic(p.subject)) out_.dynamic_ = true;
    out_.predicates_.push_back(std::move(p));
    return AddNode(Node::Kind::kPredicate, static_cast<uint32_t>(out_.predicates_.size() - 1));
  }

  // Rejects operators that have no meaning for a subject, naming both.
  static Status CheckOperator(const Predicate& p, uint32_t column) {
    bool ok = true;
    switch (p.subject) {
      case Subject::kAttribute:
        break;
      case Subject::kAgentConnected:
      case Subject::kEc2InstanceId:
      case Subject::kTaskGroup:
        ok = !IsOrdering(p.op);
        break;
      case Subject::kAgentVersion:
        break;
      case Subject::kRegisteredAt:
      case Subject::kRunningTasksCount:
        ok = !IsRegex(p.op);
        break;
    }
    if (ok) return {};
    return Fail(std::string("operator '") + OpSymbol(p.op) + "' is not supported for '" +
                    SubjectName(p.subject) + "'",
                column);
  }

  // Appends a literal, checking and converting it for the subject.
  static Status AddValue(Predicate& p, const Token& v) {
    const std::string& text = v.text;
    if (IsRegex(p.op)) {
      auto re = Regex::Compile(text);
      if (!re.ok()) return Fail(re.error().message, v.column);
      p.regex = std::move(re).value();
    } else if (p.subject == Subject::kRegisteredAt) {
      auto ms = ParseTimestamp(text);
      if (!ms) {
        return Fail("invalid date '" + text +
                        "' for registeredAt (expected 2018-06-18, 2018-06-18T22:28:28, "
                        "2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00)",
                    v.column);
      }
      p.integers.push_back(*ms);
    } else if (p.subject == Subject::kRunningTasksCount) {
      auto n = ParseNonNegativeInteger(text);
      if (!n) {
        return Fail("invalid count '" + text + "' for runningTasksCount (expected an integer)",
                    v.column);
      }
      p.integers.push_back(*n);
    } else if (p.subject == Subject::kAgentVersion && IsOrdering(p.op) && !IsVersion(text)) {
      return Fail("invalid version '" + text +
                      "' for agentVersion (expected a dotted version such as 1.14.5)",
                  v.column);
    } else if (p.subject == Subject::kAttribute) {
      p.numbers.push_back(ParseNumber(text));
    }
    p.values.push_back(text);
    return {};
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  Expression& out_;
};

Result<Expression> Expression::Parse(std::string_view text) {
  if (text.size() > kMaxExpressionLength) {
    return InvalidArgument("", "expression is " + std::to_string(text.size()) +
                                   " characters long; the limit is " +
                                   std::to_string(kMaxExpressionLength));
  }
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.error();
  Expression e;
  e.source_ = std::string(text);
  Parser parser(std::move(tokens).value(), e);
  if (auto st = parser.ParseAll(); !st.ok()) return st.error();
  return e;
}

}  // namespace gantry::placement::cql
