#include "placement/cql/evaluator.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <regex>

#include "placement/cql/literals.h"
#include "placement/snapshot.h"
#include "placement/testing/builders.h"

namespace gantry::placement::cql {
namespace {

using testing::MakeInstance;

std::vector<std::string> Ids(const ClusterSnapshot& s, const Bitset& bits) {
  std::vector<std::string> out;
  bits.ForEach([&](uint32_t i) { out.emplace_back(s.id(i)); });
  return out;
}

class EvaluatorTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<InstanceSpec> in = {
        MakeInstance("i-1")
            .Zone("us-east-1a")
            .Type("t2.small")
            .Attr("stack", "prod")
            .AgentVersion("1.14.4")
            .RegisteredAt("2018-01-10")
            .Attr("cores", "4")
            .Task("service:production")
            .Ec2("i-abcd1234"),
        MakeInstance("i-2")
            .Zone("us-east-1b")
            .Type("t2.medium")
            .Attr("stack", "dev")
            .AgentVersion("1.9.0")
            .RegisteredAt("2018-03-01T12:00:00Z")
            .Attr("cores", "16")
            .Task("database")
            .Task("database"),
        MakeInstance("i-3")
            .Zone("us-east-1d")
            .Type("g2.2xlarge")
            .AgentVersion("1.14.5")
            .RegisteredAt("2018-02-13")
            .Disconnected()
            .Ec2("i-wxyx7890"),
        MakeInstance("i-4")
            .Zone("us-east-1d")
            .Type("t2.small")
            .Attr("stack", "prod")
            .Attr("gpu", "")
            .Task("service:production"),
        MakeInstance("i-5")
            .Zone("us-east-1c")
            .Type("m5.large")
            .Attr("stack", "two words")
            .Attr("cores", "8"),
    };
    snapshot_ = std::make_unique<ClusterSnapshot>(std::move(ClusterSnapshot::Build(in)).value());
  }

  std::vector<std::string> Eval(const std::string& text) {
    auto e = Expression::Parse(text);
    EXPECT_TRUE(e.ok()) << text << ": " << (e.ok() ? "" : e.error().message);
    if (!e.ok()) return {"<parse error>"};
    BoundExpression bound(*e, *snapshot_);
    return Ids(*snapshot_, bound.result());
  }

  std::unique_ptr<ClusterSnapshot> snapshot_;
};

using V = std::vector<std::string>;

TEST_F(EvaluatorTableTest, DocumentedExamples) {
  EXPECT_EQ(Eval("attribute:ecs.instance-type == t2.small"), (V{"i-1", "i-4"}));
  EXPECT_EQ(Eval("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]"), (V{"i-1", "i-2"}));
  EXPECT_EQ(
      Eval("attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d"),
      V{});
  EXPECT_EQ(
      Eval("attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone != us-east-1d"),
      (V{"i-1", "i-2"}));
  EXPECT_EQ(Eval("task:group == service:production"), (V{"i-1", "i-4"}));
  EXPECT_EQ(Eval("not(task:group == database)"), (V{"i-1", "i-3", "i-4", "i-5"}));
  EXPECT_EQ(Eval("runningTasksCount == 1"), (V{"i-1", "i-4"}));
  EXPECT_EQ(Eval("agentVersion < 1.14.5"), (V{"i-1", "i-2"}));  // 1.9.0 < 1.14.5
  EXPECT_EQ(Eval("registeredAt < 2018-02-13"), (V{"i-1"}));
  EXPECT_EQ(Eval("ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']"), (V{"i-1", "i-3"}));
  EXPECT_EQ(Eval("attribute:stack == prod"), (V{"i-1", "i-4"}));
  EXPECT_EQ(Eval("attribute:ecs.instance-type in [t2.small, t2.medium]"), (V{"i-1", "i-2", "i-4"}));
  EXPECT_EQ(
      Eval("attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a"),
      (V{"i-1"}));
}

TEST_F(EvaluatorTableTest, MissingAttributeIsFalseExceptNotExists) {
  // i-3 has no `stack`: only !exists (and not(...)) select it.
  EXPECT_EQ(Eval("attribute:stack != prod"), (V{"i-2", "i-5"}));
  EXPECT_EQ(Eval("attribute:stack !in [prod]"), (V{"i-2", "i-5"}));
  EXPECT_EQ(Eval("attribute:stack !~ p.*"), (V{"i-2", "i-5"}));
  EXPECT_EQ(Eval("attribute:stack > a"), (V{"i-1", "i-2", "i-4", "i-5"}));
  EXPECT_EQ(Eval("attribute:stack !exists"), (V{"i-3"}));
  EXPECT_EQ(Eval("not(attribute:stack == prod)"), (V{"i-2", "i-3", "i-5"}));
  EXPECT_EQ(Eval("attribute:nothing exists"), V{});
  EXPECT_EQ(Eval("attribute:nothing != x"), V{});
  EXPECT_EQ(Eval("attribute:nothing !exists"), (V{"i-1", "i-2", "i-3", "i-4", "i-5"}));
  EXPECT_EQ(Eval("attribute:gpu exists"), (V{"i-4"}));  // a capability attribute without value
}

TEST_F(EvaluatorTableTest, RegexMatchesTheWholeValue) {
  EXPECT_EQ(Eval("attribute:ecs.instance-type =~ t2"), V{});
  EXPECT_EQ(Eval("attribute:ecs.instance-type =~ 't2\\..*'"), (V{"i-1", "i-2", "i-4"}));
  EXPECT_EQ(Eval("attribute:ecs.instance-type matches '.*large'"), (V{"i-3", "i-5"}));
  EXPECT_EQ(Eval("task:group =~ 'service:.*'"), (V{"i-1", "i-4"}));
  EXPECT_EQ(Eval("task:group !~ 'service:.*'"), (V{"i-2", "i-3", "i-5"}));
}

// Patterns that make a backtracking matcher (std::regex, before RE2) take time exponential in
// the value's length, or recurse once per character until the stack overflows. RE2 never
// backtracks: these answer like any other pattern, and correctly.
TEST(EvaluatorRegexTest, PathologicalPatternsAreMatchedCorrectly) {
  const std::string a40(40, 'a');
  std::vector<InstanceSpec> in = {
      MakeInstance("i-1").Attr("x", a40).AgentVersion(std::string(30000, 'v')).Task(a40),
      MakeInstance("i-2").Attr("x", a40 + "b").AgentVersion(std::string(29999, 'v') + "w"),
      MakeInstance("i-3").Attr("x", "b"),
  };
  auto snapshot = ClusterSnapshot::Build(in);
  ASSERT_TRUE(snapshot.ok()) << snapshot.error().ToString();
  auto eval = [&](const std::string& text) {
    auto e = Expression::Parse(text);
    EXPECT_TRUE(e.ok()) << text << ": " << (e.ok() ? "" : e.error().message);
    if (!e.ok()) return V{"<parse error>"};
    BoundExpression bound(*e, *snapshot);
    return Ids(*snapshot, bound.result());
  };
  EXPECT_EQ(eval("attribute:x =~ '(a|a)*b'"), (V{"i-2", "i-3"}));
  EXPECT_EQ(eval("attribute:x !~ '(a|a)*b'"), (V{"i-1"}));
  EXPECT_EQ(eval("attribute:x =~ '(a*)*c'"), V{});
  EXPECT_EQ(eval("attribute:x =~ '(a|aa)+'"), (V{"i-1"}));
  EXPECT_EQ(eval("attribute:x =~ '(x+x+)+y|(a+a+)+'"), (V{"i-1"}));
  EXPECT_EQ(eval("task:group =~ '(a|a)*b'"), V{});
  EXPECT_EQ(eval("task:group =~ '(a|a)*'"), (V{"i-1"}));
  // `.*` and friends over a 30,000-character value.
  EXPECT_EQ(eval("agentVersion =~ '.*'"), (V{"i-1", "i-2"}));
  EXPECT_EQ(eval("agentVersion =~ '(.*)*w'"), (V{"i-2"}));
  EXPECT_EQ(eval("agentVersion =~ '(v|v)*'"), (V{"i-1"}));
  EXPECT_EQ(eval("agentVersion !~ '(v|vv)*x'"), (V{"i-1", "i-2"}));
}

TEST(EvaluatorRegexTest, MatchesBytesAsStdRegexDid) {
  // Latin-1: `.` is one byte, also of a multi-byte UTF-8 character or an invalid one.
  std::vector<InstanceSpec> in = {
      MakeInstance("i-1").Attr("x", "caf\xc3\xa9"),
      MakeInstance("i-2").Attr("x", "ab\xff"),
      MakeInstance("i-3").Attr("x", "a\nb"),
  };
  auto snapshot = ClusterSnapshot::Build(in);
  ASSERT_TRUE(snapshot.ok());
  auto eval = [&](const std::string& text) {
    auto e = Expression::Parse(text);
    EXPECT_TRUE(e.ok()) << text;
    if (!e.ok()) return V{"<parse error>"};
    BoundExpression bound(*e, *snapshot);
    return Ids(*snapshot, bound.result());
  };
  EXPECT_EQ(eval("attribute:x =~ 'caf..'"), (V{"i-1"}));
  EXPECT_EQ(eval("attribute:x =~ 'ab.'"), (V{"i-2"}));
  EXPECT_EQ(eval("attribute:x =~ 'a.b'"), V{});  // `.` does not match a newline
}

TEST_F(EvaluatorTableTest, NumericVersusStringOrdering) {
  // cores: 4, 16, 8. Numerically 16 > 10 and 8 < 10; as strings "16" < "8".
  EXPECT_EQ(Eval("attribute:cores > 10"), (V{"i-2"}));
  EXPECT_EQ(Eval("attribute:cores <= 8"), (V{"i-1", "i-5"}));
  EXPECT_EQ(Eval("attribute:cores > abc"), V{});  // string comparison: digits sort before letters
  EXPECT_EQ(Eval("attribute:stack >= prod"), (V{"i-1", "i-4", "i-5"}));  // "two words" > "prod"
}

TEST_F(EvaluatorTableTest, OtherSubjects) {
  EXPECT_EQ(Eval("agentConnected == false"), (V{"i-3"}));
  EXPECT_EQ(Eval("agentConnected != false"), (V{"i-1", "i-2", "i-4", "i-5"}));
  EXPECT_EQ(Eval("agentConnected == TRUE"), V{});  // values are case-sensitive
  EXPECT_EQ(Eval("agentVersion >= 1.14.5"), (V{"i-3"}));
  EXPECT_EQ(Eval("agentVersion == 1.14.4.0"), (V{"i-1"}));
  EXPECT_EQ(Eval("agentVersion exists"), (V{"i-1", "i-2", "i-3"}));
  EXPECT_EQ(Eval("agentVersion != 1.9.0"), (V{"i-1", "i-3"}));  // absent version: false
  EXPECT_EQ(Eval("registeredAt == 2018-02-13T00:00:00Z"), (V{"i-3"}));
  EXPECT_EQ(Eval("registeredAt >= '2018-02-13T00:00:00+01:00'"), (V{"i-2", "i-3"}));
  EXPECT_EQ(Eval("registeredAt !exists"), (V{"i-4", "i-5"}));
  EXPECT_EQ(Eval("runningTasksCount > 0 and runningTasksCount in [2, 3]"), (V{"i-2"}));
  EXPECT_EQ(Eval("ec2InstanceId == i-5"), (V{"i-5"}));  // defaults to the id
  EXPECT_EQ(Eval("ec2InstanceId =~ 'i-[a-z]+[0-9]+'"), (V{"i-1", "i-3"}));
  EXPECT_EQ(Eval("task:group in [database, nope]"), (V{"i-2"}));
  EXPECT_EQ(Eval("task:group != database"), (V{"i-1", "i-3", "i-4", "i-5"}));
  EXPECT_EQ(Eval("task:group exists"), (V{"i-1", "i-2", "i-4"}));
  EXPECT_EQ(Eval("task:group !exists"), (V{"i-3", "i-5"}));
}

TEST_F(EvaluatorTableTest, CaseAndQuoting) {
  EXPECT_EQ(Eval("attribute:Stack == prod"), V{});  // attribute names are case-sensitive
  EXPECT_EQ(Eval("attribute:stack == PROD"), V{});
  EXPECT_EQ(Eval("attribute:stack EQUALS prod AND attribute:ecs.availability-zone == us-east-1a"),
            (V{"i-1"}));
  EXPECT_EQ(Eval("attribute:stack == \"two words\""), (V{"i-5"}));
  EXPECT_EQ(Eval("attribute:stack == 'two words' || !(attribute:stack exists)"), (V{"i-3", "i-5"}));
}

TEST_F(EvaluatorTableTest, Precedence) {
  // a or b and c == a or (b and c)
  EXPECT_EQ(Eval("attribute:stack == dev or attribute:stack == prod and "
                 "attribute:ecs.availability-zone == us-east-1d"),
            (V{"i-2", "i-4"}));
  EXPECT_EQ(Eval("(attribute:stack == dev or attribute:stack == prod) and "
                 "attribute:ecs.availability-zone == us-east-1d"),
            (V{"i-4"}));
  EXPECT_EQ(Eval("not attribute:stack == prod and attribute:stack exists"), (V{"i-2", "i-5"}));
}

TEST_F(EvaluatorTableTest, EvaluateAtSeesPlacedTasks) {
  auto e = Expression::Parse("not(task:group == family:web) and runningTasksCount < 2");
  ASSERT_TRUE(e.ok());
  BoundExpression bound(*e, *snapshot_, "family:web");
  // i-5 has no tasks: it qualifies until a family:web task lands on it.
  EXPECT_TRUE(bound.EvaluateAt(4, 0));
  EXPECT_FALSE(bound.EvaluateAt(4, 1));
  auto count = Expression::Parse("runningTasksCount <= 2");
  BoundExpression by_count(*count, *snapshot_, "family:web");
  EXPECT_TRUE(by_count.EvaluateAt(0, 1));   // 1 existing + 1
  EXPECT_FALSE(by_count.EvaluateAt(0, 2));  // 1 existing + 2
}

// ---- Property test: the bitset evaluator against a direct reading of the rules. ----

struct RefExpr {
  enum Kind { kLeaf, kAnd, kOr, kNot } kind = kLeaf;
  Subject subject = Subject::kAttribute;
  std::string attribute;
  Op op = Op::kEq;
  std::vector<std::string> values;
  std::unique_ptr<RefExpr> a, b;
};

std::string Render(const RefExpr& e) {
  switch (e.kind) {
    case RefExpr::kAnd:
      return "(" + Render(*e.a) + " and " + Render(*e.b) + ")";
    case RefExpr::kOr:
      return "(" + Render(*e.a) + " || " + Render(*e.b) + ")";
    case RefExpr::kNot:
      return "not (" + Render(*e.a) + ")";
    case RefExpr::kLeaf:
      break;
  }
  std::string s =
      e.subject == Subject::kAttribute ? "attribute:" + e.attribute : SubjectName(e.subject);
  s += std::string(" ") + OpSymbol(e.op);
  if (e.op == Op::kIn || e.op == Op::kNotIn) {
    s += " [";
    for (size_t k = 0; k < e.values.size(); ++k) s += (k ? ", '" : "'") + e.values[k] + "'";
    s += "]";
  } else if (e.op != Op::kExists && e.op != Op::kNotExists) {
    s += " '" + e.values[0] + "'";
  }
  return s;
}

int Cmp(double a, double b) { return a < b ? -1 : (a > b ? 1 : 0); }

bool Order(Op op, int c) {
  return (op == Op::kGt && c > 0) || (op == Op::kGe && c >= 0) || (op == Op::kLt && c < 0) ||
         (op == Op::kLe && c <= 0);
}

// Evaluates one leaf on an optional string value with comparison function `cmp`.
template <typename CmpFn>
bool RefCompare(const RefExpr& e, const std::optional<std::string>& v, CmpFn cmp) {
  if (e.op == Op::kNotExists) return !v;
  if (!v) return false;
  auto in_list = [&] {
    for (const auto& x : e.values)
      if (cmp(*v, x) == 0) return true;
    return false;
  };
  switch (e.op) {
    case Op::kExists:
      return true;
    case Op::kEq:
      return cmp(*v, e.values[0]) == 0;
    case Op::kNe:
      return cmp(*v, e.values[0]) != 0;
    case Op::kIn:
      return in_list();
    case Op::kNotIn:
      return !in_list();
    case Op::kMatches:
      return std::regex_match(*v, std::regex(e.values[0]));
    case Op::kNotMatches:
      return !std::regex_match(*v, std::regex(e.values[0]));
    default:
      return Order(e.op, cmp(*v, e.values[0]));
  }
}

bool RefEval(const RefExpr& e, const InstanceSpec& in, int added, const std::string& group) {
  switch (e.kind) {
    case RefExpr::kAnd:
      return RefEval(*e.a, in, added, group) && RefEval(*e.b, in, added, group);
    case RefExpr::kOr:
      return RefEval(*e.a, in, added, group) || RefEval(*e.b, in, added, group);
    case RefExpr::kNot:
      return !RefEval(*e.a, in, added, group);
    case RefExpr::kLeaf:
      break;
  }
  auto str_cmp = [](const std::string& a, const std::string& b) { return a.compare(b); };
  switch (e.subject) {
    case Subject::kAttribute: {
      std::optional<std::string> v;
      for (const auto& [n, val] : in.attributes)
        if (n == e.attribute) v = val;
      return RefCompare(e, v, [&](const std::string& a, const std::string& b) {
        if (Order(e.op, 0) || Order(e.op, 1) || Order(e.op, -1)) {  // ordering operators
          auto x = ParseNumber(a), y = ParseNumber(b);
          if (x && y) return Cmp(*x, *y);
        }
        return a.compare(b);
      });
    }
    case Subject::kAgentVersion:
      return RefCompare(e, in.agent_version, [&](const std::string& a, const std::string& b) {
        return (e.op == Op::kMatches || e.op == Op::kNotMatches) ? a.compare(b)
                                                                 : CompareVersions(a, b);
      });
    case Subject::kAgentConnected:
      return RefCompare(e, std::string(in.agent_connected ? "true" : "false"), str_cmp);
    case Subject::kEc2InstanceId:
      return RefCompare(e, in.ec2_instance_id.empty() ? in.id : in.ec2_instance_id, str_cmp);
    case Subject::kRegisteredAt: {
      std::optional<std::string> v;
      if (in.registered_at_ms) v = std::to_string(*in.registered_at_ms);
      return RefCompare(e, v, [](const std::string& a, const std::string& b) {
        int64_t x = std::stoll(a), y = *ParseTimestamp(b);
        return x < y ? -1 : (x > y ? 1 : 0);
      });
    }
    case Subject::kRunningTasksCount:
      return RefCompare(e, std::to_string(in.tasks.size() + added),
                        [](const std::string& a, const std::string& b) {
                          return Cmp(std::stod(a), std::stod(b));
                        });
    case Subject::kTaskGroup: {
      std::vector<std::string> groups;
      for (const auto& t : in.tasks) groups.push_back(t.group);
      if (added > 0) groups.push_back(group);
      auto any = [&](auto pred) {
        for (const auto& g : groups)
          if (pred(g)) return true;
        return false;
      };
      auto eq_any = [&] {
        return any([&](const std::string& g) {
          for (const auto& v : e.values)
            if (g == v) return true;
          return false;
        });
      };
      switch (e.op) {
        case Op::kEq:
        case Op::kIn:
          return eq_any();
        case Op::kNe:
        case Op::kNotIn:
          return !eq_any();
        case Op::kMatches:
          return any(
              [&](const std::string& g) { return std::regex_match(g, std::regex(e.values[0])); });
        case Op::kNotMatches:
          return !any(
              [&](const std::string& g) { return std::regex_match(g, std::regex(e.values[0])); });
        case Op::kExists:
          return !groups.empty();
        case Op::kNotExists:
          return groups.empty();
        default:
          return false;
      }
    }
  }
  return false;
}

class RandomExpressions {
 public:
  explicit RandomExpressions(uint32_t seed) : rng_(seed) {}

  std::vector<InstanceSpec> Cluster(int n) {
    std::vector<InstanceSpec> out;
    for (int i = 0; i < n; ++i) {
      auto b = MakeInstance("i-" + std::to_string(i));
      if (Chance(0.8)) b.Zone(Pick(zones_));
      if (Chance(0.7)) b.Type(Pick(types_));
      if (Chance(0.5)) b.Attr("rank", Pick(ranks_));
      if (Chance(0.6)) b.AgentVersion(Pick(versions_));
      if (Chance(0.6)) b.RegisteredAt(Pick(dates_));
      if (Chance(0.2)) b.Disconnected();
      int tasks = Uniform(0, 3);
      for (int t = 0; t < tasks; ++t) b.Task(Pick(groups_));
      out.push_back(b);
    }
    return out;
  }

  std::unique_ptr<RefExpr> Expr(int depth) {
    auto e = std::make_unique<RefExpr>();
    int pick = depth > 0 ? Uniform(0, 5) : 0;
    if (pick == 1 || pick == 2) {
      e->kind = pick == 1 ? RefExpr::kAnd : RefExpr::kOr;
      e->a = Expr(depth - 1);
      e->b = Expr(depth - 1);
      return e;
    }
    if (pick == 3) {
      e->kind = RefExpr::kNot;
      e->a = Expr(depth - 1);
      return e;
    }
    static constexpr Subject kSubjects[] = {Subject::kAttribute,         Subject::kAttribute,
                                            Subject::kAgentConnected,    Subject::kAgentVersion,
                                            Subject::kEc2InstanceId,     Subject::kRegisteredAt,
                                            Subject::kRunningTasksCount, Subject::kTaskGroup};
    e->subject = kSubjects[Uniform(0, 7)];
    std::vector<Op> ops;
    for (int o = 0; o <= static_cast<int>(Op::kNotMatches); ++o) ops.push_back(static_cast<Op>(o));
    while (true) {
      e->op = Pick(ops);
      bool ordering = e->op == Op::kGt || e->op == Op::kGe || e->op == Op::kLt || e->op == Op::kLe;
      bool regex = e->op == Op::kMatches || e->op == Op::kNotMatches;
      if (ordering &&
          (e->subject == Subject::kTaskGroup || e->subject == Subject::kAgentConnected ||
           e->subject == Subject::kEc2InstanceId))
        continue;
      if (regex &&
          (e->subject == Subject::kRegisteredAt || e->subject == Subject::kRunningTasksCount))
        continue;
      if (ordering && e->subject == Subject::kAgentVersion) {
        e->values = {Pick(versions_)};
        return e;
      }
      break;
    }
    const std::vector<std::string>* pool = &groups_;
    switch (e->subject) {
      case Subject::kAttribute: {
        int which = Uniform(0, 2);
        e->attribute = which == 0   ? "ecs.availability-zone"
                       : which == 1 ? "ecs.instance-type"
                                    : "rank";
        pool = which == 0 ? &zones_ : which == 1 ? &types_ : &ranks_;
        break;
      }
      case Subject::kAgentConnected:
        pool = &bools_;
        break;
      case Subject::kAgentVersion:
        pool = &versions_;
        break;
      case Subject::kEc2InstanceId:
        pool = &ids_;
        break;
      case Subject::kRegisteredAt:
        pool = &dates_;
        break;
      case Subject::kRunningTasksCount:
        pool = &counts_;
        break;
      case Subject::kTaskGroup:
        pool = &groups_;
        break;
    }
    if (e->op == Op::kMatches || e->op == Op::kNotMatches) {
      e->values = {Pick(regexes_)};
    } else {
      int n = (e->op == Op::kIn || e->op == Op::kNotIn) ? Uniform(1, 3) : 1;
      for (int k = 0; k < n; ++k) e->values.push_back(Pick(*pool));
    }
    return e;
  }

 private:
  bool Chance(double p) { return std::uniform_real_distribution<>(0, 1)(rng_) < p; }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<>(lo, hi)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Uniform(0, static_cast<int>(v.size()) - 1))];
  }

  std::mt19937 rng_;
  std::vector<std::string> zones_{"us-east-1a", "us-east-1b", "us-east-1c", ""};
  std::vector<std::string> types_{"t2.small", "t2.medium", "m5.large", "g2.2xlarge"};
  std::vector<std::string> ranks_{"1", "2", "10", "x", "-3.5"};
  std::vector<std::string> versions_{"1.9.0", "1.14.4", "1.14.5", "1.14", "2.0.1"};
  std::vector<std::string> dates_{"2018-01-10", "2018-02-13T00:00:00Z", "2018-03-01T12:00:00+01:00",
                                  "2019-07-01T00:00:00"};
  std::vector<std::string> groups_{"family:web", "service:api", "database"};
  std::vector<std::string> bools_{"true", "false", "yes"};
  std::vector<std::string> ids_{"i-0", "i-1", "i-5", "i-12"};
  std::vector<std::string> counts_{"0", "1", "2", "3"};
  std::vector<std::string> regexes_{"t2.*",      ".*-1a", "[0-9]+", "1\\.14\\..*",
                                    "family:.*", "true",  "i-1.*",  ".*"};
};

TEST(EvaluatorPropertyTest, BitsetEvaluationMatchesTheRules) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    RandomExpressions gen(seed);
    auto cluster = gen.Cluster(40);
    auto snapshot = ClusterSnapshot::Build(cluster);
    ASSERT_TRUE(snapshot.ok());
    for (int k = 0; k < 10; ++k) {
      auto ref = gen.Expr(3);
      std::string text = Render(*ref);
      auto parsed = Expression::Parse(text);
      ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().message;
      BoundExpression bound(*parsed, *snapshot, "family:web");
      for (uint32_t i = 0; i < cluster.size(); ++i) {
        ASSERT_EQ(bound.result().Test(i), RefEval(*ref, cluster[i], 0, "family:web"))
            << "seed " << seed << " instance " << i << ": " << text;
        for (int added : {1, 2}) {
          ASSERT_EQ(bound.EvaluateAt(i, added), RefEval(*ref, cluster[i], added, "family:web"))
              << "seed " << seed << " instance " << i << " +" << added << ": " << text;
        }
      }
    }
  }
}

}  // namespace
}  // namespace gantry::placement::cql
