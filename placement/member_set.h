#pragma once

// The instances that share one property: an attribute value, a host port in use, a task group.
// Common values (at least 1 in 32 instances) are kept as a bitset so that filters combine them a
// word at a time; rare ones as a sorted list of instance indices, so that an attribute with a
// distinct value per instance costs 4 bytes per instance rather than N bits per value.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "placement/bitset.h"

namespace gantry::placement {

class MemberSet {
 public:
  MemberSet() = default;
  // `sorted_members` must be sorted and unique; `universe` is the number of instances.
  MemberSet(std::vector<uint32_t> sorted_members, uint32_t universe) {
    count_ = static_cast<uint32_t>(sorted_members.size());
    if (static_cast<uint64_t>(count_) * 32 >= universe && count_ > 0) {
      dense_ = true;
      bits_ = Bitset(universe);
      for (uint32_t i : sorted_members) bits_.Set(i);
    } else {
      postings_ = std::move(sorted_members);
      postings_.shrink_to_fit();
    }
  }

  uint32_t count() const { return count_; }

  void OrInto(Bitset& out) const {
    if (dense_) {
      out |= bits_;
    } else {
      for (uint32_t i : postings_) out.Set(i);
    }
  }

  // Whether some member is set in `mask`.
  bool Intersects(const Bitset& mask) const {
    if (dense_) {
      const auto& a = bits_.words();
      const auto& b = mask.words();
      for (size_t k = 0; k < a.size(); ++k)
        if (a[k] & b[k]) return true;
      return false;
    }
    for (uint32_t i : postings_)
      if (mask.Test(i)) return true;
    return false;
  }

  // out |= (members & mask)
  void AndInto(const Bitset& mask, Bitset& out) const {
    if (dense_) {
      const auto& a = bits_.words();
      const auto& b = mask.words();
      auto& o = out.words();
      for (size_t k = 0; k < a.size(); ++k) o[k] |= a[k] & b[k];
      return;
    }
    for (uint32_t i : postings_)
      if (mask.Test(i)) out.Set(i);
  }

  template <typename F>
  void ForEach(F&& f) const {
    if (dense_) {
      bits_.ForEach(f);
    } else {
      for (uint32_t i : postings_) f(i);
    }
  }

  bool Contains(uint32_t i) const {
    if (dense_) return bits_.Test(i);
    return std::binary_search(postings_.begin(), postings_.end(), i);
  }
  // Adds or removes one member; false when it already was (or was not) one. The representation
  // stays as built: a snapshot changed this way is rebuilt before the difference matters.
  bool Insert(uint32_t i) {
    if (dense_) {
      if (bits_.Test(i)) return false;
      bits_.Set(i);
    } else {
      auto it = std::lower_bound(postings_.begin(), postings_.end(), i);
      if (it != postings_.end() && *it == i) return false;
      postings_.insert(it, i);
    }
    ++count_;
    return true;
  }
  bool Erase(uint32_t i) {
    if (dense_) {
      if (!bits_.Test(i)) return false;
      bits_.Reset(i);
    } else {
      auto it = std::lower_bound(postings_.begin(), postings_.end(), i);
      if (it == postings_.end() || *it != i) return false;
      postings_.erase(it);
    }
    --count_;
    return true;
  }

  size_t MemoryBytes() const { return bits_.MemoryBytes() + postings_.capacity() * 4; }

 private:
  bool dense_ = false;
  uint32_t count_ = 0;
  Bitset bits_;
  std::vector<uint32_t> postings_;
};

}  // namespace gantry::placement
