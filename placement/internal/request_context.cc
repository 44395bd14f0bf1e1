#include "placement/internal/request_context.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "placement/internal/split_mix.h"

namespace gantry::placement::internal {
namespace {

// Sets bit i of `out` where values[i] >= need. The comparison runs over 64 values into bytes,
// which the compiler vectorises; a multiply then gathers each 8 bytes of 0/1 into 8 bits.
Bitset AtLeast(const int32_t* values, uint32_t n, int64_t need) {
  Bitset out(n);
  auto& words = out.words();
  const int32_t limit = static_cast<int32_t>(std::min<int64_t>(need, INT32_MAX));
  const uint32_t full = n / 64;
  for (uint32_t w = 0; w < full; ++w) {
    const int32_t* v = values + size_t{w} * 64;
    uint8_t bytes[64];
    for (int j = 0; j < 64; ++j) bytes[j] = v[j] >= limit;
    uint64_t word = 0;
    for (int b = 0; b < 8; ++b) {
      uint64_t x;
      std::memcpy(&x, bytes + 8 * b, 8);
      word |= ((x * 0x0102040810204080ULL) >> 56) << (8 * b);
    }
    words[w] = word;
  }
  for (uint32_t i = full * 64; i < n; ++i) {
    if (values[i] >= limit) out.Set(i);
  }
  return out;
}

}  // namespace

RequestContext::RequestContext(const ClusterSnapshot& snapshot, const CompiledRequest& request)
    : s_(snapshot),
      r_(request),
      group_(snapshot.group_id(request.group)),
      cpu_(snapshot.cpu_remaining().data()),
      memory_(snapshot.memory_remaining().data()) {
  member_of_.reserve(r_.member_of.size());
  for (const auto& e : r_.member_of) member_of_.emplace_back(e, s_, r_.group);
  ComputeStages();
  BuildSpreadBuckets();
}

void RequestContext::ComputeStages() {
  const uint32_t n = s_.size();
  auto& ok = stage_ok_;
  ok[static_cast<size_t>(Stage::kAgent)] = s_.eligible();
  ok[static_cast<size_t>(Stage::kCpu)] = AtLeast(cpu_, n, r_.cpu);
  ok[static_cast<size_t>(Stage::kMemory)] = AtLeast(memory_, n, r_.memory);

  Bitset ports(n, true);
  if (!r_.ports.empty()) {
    Bitset used(n);
    for (int32_t p : r_.ports)
      if (const MemberSet* users = s_.port_users(p)) users->OrInto(used);
    ports.AndNot(used);
  }
  ok[static_cast<size_t>(Stage::kPorts)] = std::move(ports);

  Bitset member(n, true);
  for (const auto& m : member_of_) member &= m.result();
  ok[static_cast<size_t>(Stage::kMemberOf)] = std::move(member);

  Bitset distinct(n, true);
  if (r_.distinct_instance && group_) {
    for (const GroupCount& gc : s_.group_members(*group_)) distinct.Reset(gc.key);
  }
  ok[static_cast<size_t>(Stage::kDistinctInstance)] = std::move(distinct);

  Bitset alive(n, true);
  initial_counts_.evaluated = n;
  for (size_t st = 0; st < kNumStages; ++st) {
    initial_counts_.rejected[st] = alive.CountAndNot(ok[st]);
    alive &= ok[st];
  }
  initial_counts_.feasible = alive.Count();
  candidates_ = std::move(alive);
}

void RequestContext::BuildSpreadBuckets() {
  spread_.resize(r_.strategies.size());
  for (size_t level = 0; level < r_.strategies.size(); ++level) {
    if (!IsSpreadAttribute(level)) continue;
    SpreadBuckets& b = spread_[level];
    b.attribute = s_.attribute_id(r_.strategies[level].attribute);
    if (b.attribute) {
      const ValueIndex& vi = s_.attribute(*b.attribute);
      b.missing_bucket = vi.size();
      b.value_bucket.resize(vi.size());
      for (uint32_t v = 0; v < vi.size(); ++v) {
        // An empty value spreads like a missing attribute.
        b.value_bucket[v] = vi.value(v).empty() ? b.missing_bucket : v;
      }
    }
    b.tasks.assign(b.missing_bucket + 1, 0);
    if (group_) {
      for (const GroupCount& gc : s_.group_members(*group_))
        b.tasks[Bucket(level, gc.key)] += gc.count;
    }
  }
}

std::optional<Stage> RequestContext::InitialRejection(uint32_t i) const {
  for (size_t st = 0; st < kNumStages; ++st)
    if (!stage_ok_[st].Test(i)) return static_cast<Stage>(st);
  return std::nullopt;
}

uint32_t RequestContext::Bucket(size_t level, uint32_t i) const {
  const SpreadBuckets& b = spread_[level];
  if (!b.attribute) return b.missing_bucket;
  uint32_t v = s_.AttributeValue(i, *b.attribute);
  return v == kNoValue ? b.missing_bucket : b.value_bucket[v];
}

uint32_t RequestContext::group_tasks(uint32_t i) const {
  if (!group_tasks_.empty()) return group_tasks_[i];
  if (!group_) return 0;
  // Before any placement: look the instance up in the group's sorted member list.
  auto members = s_.group_members(*group_);
  auto it = std::lower_bound(members.begin(), members.end(), i,
                             [](const GroupCount& gc, uint32_t x) { return gc.key < x; });
  return it != members.end() && it->key == i ? it->count : 0;
}

int64_t RequestContext::TieBreak(uint32_t i) const {
  // Ties go to a seeded random order of the instances, visited round-robin: first the fewest
  // tasks added by this request, then a per-instance hash of the seed. Each tie is decided by the
  // seed, every tied instance gets its turn, and placing a task changes only that instance's key.
  constexpr int kHashBits = 40;
  uint64_t hash = SplitMix64(r_.seed ^ SplitMix64(uint64_t{i} + 1)) >> (64 - kHashBits);
  return static_cast<int64_t>((uint64_t{TasksAdded(i)} << kHashBits) | hash);
}

int64_t RequestContext::Key(size_t level, uint32_t i) const {
  switch (r_.strategies[level].kind) {
    case Strategy::Kind::kBinpackCpu:
      return int64_t{cpu_[i]};
    case Strategy::Kind::kBinpackMemory:
      return int64_t{memory_[i]};
    case Strategy::Kind::kSpreadInstance:
      return group_tasks(i);
    case Strategy::Kind::kSpreadAttribute:
      return spread_[level].tasks[Bucket(level, i)];
    case Strategy::Kind::kRandom:
      return TieBreak(i);
  }
  return 0;
}

void RequestContext::MaterializeState() {
  const uint32_t n = s_.size();
  cpu_own_.assign(cpu_, cpu_ + n);
  memory_own_.assign(memory_, memory_ + n);
  cpu_ = cpu_own_.data();
  memory_ = memory_own_.data();
  group_tasks_.assign(n, 0);
  if (group_) {
    for (const GroupCount& gc : s_.group_members(*group_)) group_tasks_[gc.key] = gc.count;
  }
  added_.assign(n, 0);
}

void RequestContext::Place(uint32_t i) {
  if (added_.empty()) MaterializeState();
  // A placement needs the resources to fit, so these stay non-negative.
  cpu_own_[i] -= static_cast<int32_t>(r_.cpu);
  memory_own_[i] -= static_cast<int32_t>(r_.memory);
  ++group_tasks_[i];
  if (added_[i]++ == 0) touched_.push_back(i);
  for (size_t level = 0; level < spread_.size(); ++level) {
    if (IsSpreadAttribute(level)) ++spread_[level].tasks[Bucket(level, i)];
  }
}

std::optional<Stage> RequestContext::CurrentRejection(uint32_t i) const {
  uint32_t added = TasksAdded(i);
  if (added == 0) return InitialRejection(i);
  // Instance i was a candidate when it received its first task, so the agent stage still passes.
  if (cpu_[i] < r_.cpu) return Stage::kCpu;
  if (memory_[i] < r_.memory) return Stage::kMemory;
  if (!r_.ports.empty()) return Stage::kPorts;  // its own task now holds the ports
  for (const auto& m : member_of_)
    if (!m.EvaluateAt(i, static_cast<int32_t>(added))) return Stage::kMemberOf;
  if (r_.distinct_instance) return Stage::kDistinctInstance;
  return std::nullopt;
}

StageCounts RequestContext::CurrentCounts() const {
  StageCounts counts = initial_counts_;
  for (uint32_t i : touched_) {
    // Touched instances were counted as feasible initially.
    --counts.feasible;
    if (auto st = CurrentRejection(i)) {
      ++counts.rejected[static_cast<size_t>(*st)];
    } else {
      ++counts.feasible;
    }
  }
  return counts;
}

}  // namespace gantry::placement::internal
