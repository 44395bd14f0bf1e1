#pragma once

// Kubernetes label selectors: `app=web,tier!=db,env in (prod, staging),team notin
// (x),canary,!legacy`. Terms are ANDed. `=` and `==` are the same.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/status/status.h"

namespace gantry::api {

class LabelSelector {
 public:
  // An empty selector matches everything. Errors name the position of the bad term.
  static StatusOr<LabelSelector> Parse(std::string_view text);

  template <typename Map>
  bool Matches(const Map& labels) const {
    for (const Term& t : terms_) {
      auto it = labels.find(t.key);
      bool has = it != labels.end();
      switch (t.op) {
        case Op::kEquals:
          if (!has || it->second != t.values[0]) return false;
          break;
        case Op::kNotEquals:
          if (has && it->second == t.values[0]) return false;
          break;
        case Op::kIn:
          if (!has || !Contains(t.values, it->second)) return false;
          break;
        case Op::kNotIn:
          if (has && Contains(t.values, it->second)) return false;
          break;
        case Op::kExists:
          if (!has) return false;
          break;
        case Op::kNotExists:
          if (has) return false;
          break;
      }
    }
    return true;
  }
  bool empty() const { return terms_.empty(); }
  // The canonical text, as Kubernetes prints it (`app=web,env in (prod,staging),!legacy`);
  // Parse(String()) gives back an equal selector.
  std::string String() const;
  bool operator==(const LabelSelector&) const = default;

 private:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  struct Term {
    std::string key;
    Op op;
    std::vector<std::string> values;
    bool operator==(const Term&) const = default;
  };
  static bool Contains(const std::vector<std::string>& v, const std::string& s) {
    for (const auto& x : v)
      if (x == s) return true;
    return false;
  }
  std::vector<Term> terms_;
};

}  // namespace gantry::api
