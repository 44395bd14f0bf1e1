#include "placement/internal/scan_selector.h"

#include <limits>
#include <vector>

namespace gantry::placement::internal {
namespace {

// Below this many candidates a per-candidate attribute lookup beats scanning every value's set.
constexpr uint32_t kListThreshold = 64;

// Keeps the candidates in the spread buckets with the fewest tasks of the request's group.
Bitset NarrowSpread(const RequestContext& ctx, size_t level, const Bitset& bits) {
  const SpreadBuckets& b = ctx.spread(level);
  if (!b.attribute) return bits;  // everyone shares the empty value
  const ValueIndex& vi = ctx.snapshot().attribute(*b.attribute);
  const uint32_t n = bits.size();

  // Candidates lacking the attribute, or holding an empty value, form the missing bucket.
  Bitset missing = bits;
  {
    Bitset present(n);
    vi.present().OrInto(present);
    missing.AndNot(present);
  }
  for (uint32_t v = 0; v < vi.size(); ++v)
    if (b.value_bucket[v] == b.missing_bucket) vi.members(v).AndInto(bits, missing);

  int64_t best = std::numeric_limits<int64_t>::max();
  if (missing.Any()) best = b.tasks[b.missing_bucket];
  for (uint32_t v = 0; v < vi.size(); ++v) {
    uint32_t bucket = b.value_bucket[v];
    if (bucket == b.missing_bucket || b.tasks[bucket] >= best) continue;
    if (vi.members(v).Intersects(bits)) best = b.tasks[bucket];
  }

  Bitset out(n);
  if (b.tasks[b.missing_bucket] == best) out |= missing;
  for (uint32_t v = 0; v < vi.size(); ++v) {
    uint32_t bucket = b.value_bucket[v];
    if (bucket != b.missing_bucket && b.tasks[bucket] == best) vi.members(v).AndInto(bits, out);
  }
  return out;
}

template <typename KeyFn>
void NarrowList(std::vector<uint32_t>& list, KeyFn&& key) {
  int64_t best = std::numeric_limits<int64_t>::max();
  size_t kept = 0;
  for (uint32_t i : list) {
    int64_t k = key(i);
    if (k < best) {
      best = k;
      kept = 0;
    }
    if (k == best) list[kept++] = i;
  }
  list.resize(kept);
}

}  // namespace

std::optional<uint32_t> SelectByScan(const RequestContext& ctx, const Bitset& candidates) {
  if (!candidates.Any()) return std::nullopt;
  const size_t levels = ctx.request().strategies.size();
  Bitset bits = candidates;
  std::vector<uint32_t> list;
  bool as_list = false;
  for (size_t level = 0; level < levels; ++level) {
    if (!as_list && ctx.IsSpreadAttribute(level) && bits.Count() > kListThreshold) {
      bits = NarrowSpread(ctx, level, bits);
      continue;
    }
    if (!as_list) {
      list.reserve(bits.Count());
      bits.ForEach([&](uint32_t i) { list.push_back(i); });
      as_list = true;
    }
    // One loop per kind, so the key is a plain array read rather than a call per candidate.
    switch (ctx.request().strategies[level].kind) {
      case Strategy::Kind::kBinpackCpu:
        NarrowList(list, [cpu = ctx.cpu_remaining()](uint32_t i) { return int64_t{cpu[i]}; });
        break;
      case Strategy::Kind::kBinpackMemory:
        NarrowList(list, [mem = ctx.memory_remaining()](uint32_t i) { return int64_t{mem[i]}; });
        break;
      default:
        NarrowList(list, [&](uint32_t i) { return ctx.Key(level, i); });
        break;
    }
    if (list.size() == 1) return list.front();
  }
  if (!as_list) bits.ForEach([&](uint32_t i) { list.push_back(i); });
  // The tie-break is unique per instance except on hash collision, where the lower index wins.
  uint32_t best = list.front();
  int64_t best_key = ctx.TieBreak(best);
  for (size_t k = 1; k < list.size(); ++k) {
    int64_t key = ctx.TieBreak(list[k]);
    if (key < best_key) {
      best_key = key;
      best = list[k];
    }
  }
  return best;
}

}  // namespace gantry::placement::internal
