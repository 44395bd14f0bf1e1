#include "placement/scale_in.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "placement/internal/split_mix.h"
#include "placement/limits.h"
#include "placement/request.h"

namespace gantry::placement {
namespace {

uint64_t TieBreak(const std::string& task, uint64_t seed) {
  uint64_t h = internal::SplitMix64(seed);
  for (unsigned char ch : task) h = internal::SplitMix64(h ^ ch);
  return h;
}

struct Instance {
  const InstanceSpec* spec = nullptr;
  int64_t cpu_left = 0;
  int64_t memory_left = 0;
};

// The value spread(strategy) counts a task under: its instance, or the instance's attribute
// (an instance without it counts under the empty value, as one more bucket).
std::string SpreadValue(const Strategy& s, const StopCandidate& c, const Instance* at) {
  if (s.kind == Strategy::Kind::kSpreadInstance) return c.instance;
  if (!at) return "";
  for (const auto& [name, value] : at->spec->attributes) {
    if (name == s.attribute) return value;
  }
  return "";
}

}  // namespace

Result<std::vector<std::string>> ChooseToStop(const std::vector<InstanceSpec>& instances,
                                              const std::vector<StopCandidate>& candidates,
                                              const std::vector<StrategySpec>& strategies,
                                              int64_t count, uint64_t seed) {
  if (strategies.size() > kMaxStrategies) {
    return InvalidArgument("placementStrategy",
                           "at most " + std::to_string(kMaxStrategies) + " strategies");
  }
  std::vector<Strategy> order;
  const std::vector<StrategySpec> specs =
      strategies.empty() ? ServiceDefaultStrategies() : strategies;
  for (size_t i = 0; i < specs.size(); ++i) {
    auto compiled = CompileStrategy(specs[i], "placementStrategy[" + std::to_string(i) + "]");
    if (!compiled.ok()) return compiled.error();
    order.push_back(std::move(compiled).value());
  }

  std::unordered_map<std::string, Instance> by_id;
  for (const auto& spec : instances) {
    Instance& in = by_id[spec.id];
    in.spec = &spec;
    in.cpu_left = spec.cpu;
    in.memory_left = spec.memory;
    for (const auto& t : spec.tasks) {
      in.cpu_left -= t.cpu;
      in.memory_left -= t.memory;
    }
  }
  auto instance_of = [&](const StopCandidate& c) -> Instance* {
    auto it = by_id.find(c.instance);
    return it == by_id.end() ? nullptr : &it->second;
  };

  std::vector<size_t> left(candidates.size());
  for (size_t i = 0; i < left.size(); ++i) left[i] = i;
  std::vector<std::string> chosen;
  const size_t want = static_cast<size_t>(std::max<int64_t>(count, 0));
  std::vector<size_t> best;
  while (chosen.size() < want && !left.empty()) {
    // Lost instances first, then PENDING, then RUNNING.
    auto rank = [&](size_t i) {
      const StopCandidate& c = candidates[i];
      return !instance_of(c) ? 0 : c.running ? 2 : 1;
    };
    int lowest = 3;
    for (size_t i : left) lowest = std::min(lowest, rank(i));
    best.clear();
    for (size_t i : left) {
      if (rank(i) == lowest) best.push_back(i);
    }
    for (const Strategy& s : order) {
      if (best.size() <= 1) break;
      if (s.kind == Strategy::Kind::kRandom) continue;
      std::vector<int64_t> score(best.size());
      if (s.kind == Strategy::Kind::kSpreadInstance || s.kind == Strategy::Kind::kSpreadAttribute) {
        // How many of the group are still under each value: the fullest gives one up.
        std::map<std::string, int64_t> under;
        for (size_t i : left) under[SpreadValue(s, candidates[i], instance_of(candidates[i]))]++;
        for (size_t k = 0; k < best.size(); ++k) {
          const StopCandidate& c = candidates[best[k]];
          score[k] = under[SpreadValue(s, c, instance_of(c))];
        }
      } else {
        // binpack: the instance that would have the most left once the task is gone.
        const bool cpu = s.kind == Strategy::Kind::kBinpackCpu;
        for (size_t k = 0; k < best.size(); ++k) {
          const StopCandidate& c = candidates[best[k]];
          const Instance* at = instance_of(c);
          score[k] = (at ? (cpu ? at->cpu_left : at->memory_left) : 0) + (cpu ? c.cpu : c.memory);
        }
      }
      const int64_t top = *std::max_element(score.begin(), score.end());
      std::vector<size_t> kept;
      for (size_t k = 0; k < best.size(); ++k) {
        if (score[k] == top) kept.push_back(best[k]);
      }
      best.swap(kept);
    }
    const size_t pick = *std::min_element(best.begin(), best.end(), [&](size_t a, size_t b) {
      const uint64_t ha = TieBreak(candidates[a].task, seed);
      const uint64_t hb = TieBreak(candidates[b].task, seed);
      return ha != hb ? ha < hb : candidates[a].task < candidates[b].task;
    });
    const StopCandidate& gone = candidates[pick];
    if (Instance* at = instance_of(gone)) {
      at->cpu_left += gone.cpu;
      at->memory_left += gone.memory;
    }
    chosen.push_back(gone.task);
    left.erase(std::find(left.begin(), left.end(), pick));
  }
  return chosen;
}

}  // namespace gantry::placement
