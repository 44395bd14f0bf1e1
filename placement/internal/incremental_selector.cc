#include "placement/internal/incremental_selector.h"

#include <map>

namespace gantry::placement::internal {

IncrementalSelector::IncrementalSelector(RequestContext& ctx) : ctx_(ctx) {
  const auto& strategies = ctx_.request().strategies;
  for (size_t level = 0; level < strategies.size(); ++level) {
    (ctx_.IsSpreadAttribute(level) ? spread_levels_ : instance_levels_).push_back(level);
  }
  classes_by_bucket_.resize(spread_levels_.size());
  for (size_t k = 0; k < spread_levels_.size(); ++k) {
    classes_by_bucket_[k].resize(ctx_.spread(spread_levels_[k]).missing_bucket + 1);
  }

  class_of_.assign(ctx_.size(), 0);
  std::map<std::vector<uint32_t>, uint32_t> class_ids;
  std::vector<uint32_t> buckets(spread_levels_.size());
  ctx_.candidates().ForEach([&](uint32_t i) {
    for (size_t k = 0; k < spread_levels_.size(); ++k)
      buckets[k] = ctx_.Bucket(spread_levels_[k], i);
    auto [it, inserted] = class_ids.try_emplace(buckets, static_cast<uint32_t>(classes_.size()));
    if (inserted) {
      classes_.push_back(Class{buckets, {}, {}, false});
      for (size_t k = 0; k < buckets.size(); ++k)
        classes_by_bucket_[k][buckets[k]].push_back(it->second);
    }
    class_of_[i] = it->second;
    classes_[it->second].members.insert(MemberKey(i));
  });
  for (uint32_t c = 0; c < classes_.size(); ++c) Requeue(c);
}

IncrementalSelector::Key IncrementalSelector::MemberKey(uint32_t i) const {
  Key key{};
  size_t pos = 0;
  for (size_t level : instance_levels_) key[pos++] = ctx_.Key(level, i);
  key[pos++] = ctx_.TieBreak(i);
  key[pos] = i;
  return key;
}

IncrementalSelector::Key IncrementalSelector::RankKey(const Class& c) const {
  const Key& best = *c.members.begin();
  Key key{};
  size_t levels = ctx_.request().strategies.size();
  size_t spread_pos = 0, instance_pos = 0;
  for (size_t level = 0; level < levels; ++level) {
    if (ctx_.IsSpreadAttribute(level)) {
      key[level] = ctx_.spread(level).tasks[c.buckets[spread_pos++]];
    } else {
      key[level] = best[instance_pos++];
    }
  }
  key[levels] = best[instance_pos];          // tie-break
  key[levels + 1] = best[instance_pos + 1];  // instance index
  return key;
}

void IncrementalSelector::Requeue(uint32_t class_id) {
  Class& c = classes_[class_id];
  if (c.queued) {
    ranking_.erase(c.rank);
    c.queued = false;
  }
  if (c.members.empty()) return;
  c.rank = RankKey(c);
  ranking_.insert(c.rank);
  c.queued = true;
}

std::optional<uint32_t> IncrementalSelector::PlaceNext() {
  if (ranking_.empty()) return std::nullopt;
  const size_t levels = ctx_.request().strategies.size();
  const uint32_t i = static_cast<uint32_t>((*ranking_.begin())[levels + 1]);
  const uint32_t class_id = class_of_[i];
  Class& c = classes_[class_id];
  c.members.erase(c.members.begin());  // i is the best member of its class

  ctx_.Place(i);
  if (ctx_.StillFeasible(i)) c.members.insert(MemberKey(i));

  // The task raised the counts of i's buckets, which every class sharing one of them ranks by.
  for (size_t k = 0; k < spread_levels_.size(); ++k) {
    for (uint32_t other : classes_by_bucket_[k][c.buckets[k]]) {
      if (other != class_id) Requeue(other);
    }
  }
  Requeue(class_id);
  return i;
}

}  // namespace gantry::placement::internal
