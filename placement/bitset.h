#pragma once

// A fixed-size bitset over instance indices. Placement narrows candidate sets with whole-word
// AND/OR/NOT, 64 instances per operation, instead of testing instances one by one.

#include <bit>
#include <cstdint>
#include <vector>

namespace gantry::placement {

// Population count without a library call: baseline x86-64 has no POPCNT instruction, and
// std::popcount then calls into libgcc once per word.
inline uint32_t PopCount(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<uint32_t>((x * 0x0101010101010101ULL) >> 56);
}

class Bitset {
 public:
  Bitset() = default;
  explicit Bitset(uint32_t size, bool value = false)
      : size_(size), words_((size + 63) / 64, value ? ~uint64_t{0} : 0) {
    if (value) ClearPadding();
  }

  uint32_t size() const { return size_; }
  bool Test(uint32_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void Set(uint32_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Reset(uint32_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  void Assign(uint32_t i, bool v) { v ? Set(i) : Reset(i); }

  uint32_t Count() const {
    uint32_t n = 0;
    for (uint64_t w : words_) n += PopCount(w);
    return n;
  }
  bool Any() const {
    for (uint64_t w : words_)
      if (w) return true;
    return false;
  }

  Bitset& operator&=(const Bitset& o) {
    for (size_t k = 0; k < words_.size(); ++k) words_[k] &= o.words_[k];
    return *this;
  }
  Bitset& operator|=(const Bitset& o) {
    for (size_t k = 0; k < words_.size(); ++k) words_[k] |= o.words_[k];
    return *this;
  }
  // this &= ~o
  Bitset& AndNot(const Bitset& o) {
    for (size_t k = 0; k < words_.size(); ++k) words_[k] &= ~o.words_[k];
    return *this;
  }
  void Flip() {
    for (uint64_t& w : words_) w = ~w;
    ClearPadding();
  }
  // Number of bits set in (this & ~o), without materialising it.
  uint32_t CountAndNot(const Bitset& o) const {
    uint32_t n = 0;
    for (size_t k = 0; k < words_.size(); ++k) n += PopCount(words_[k] & ~o.words_[k]);
    return n;
  }

  // Calls f(index) for every set bit, in increasing order.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t k = 0; k < words_.size(); ++k) {
      uint64_t w = words_[k];
      while (w) {
        f(static_cast<uint32_t>(k * 64 + std::countr_zero(w)));
        w &= w - 1;
      }
    }
  }

  std::vector<uint64_t>& words() { return words_; }
  const std::vector<uint64_t>& words() const { return words_; }
  size_t MemoryBytes() const { return words_.capacity() * sizeof(uint64_t); }

  friend bool operator==(const Bitset&, const Bitset&) = default;

 private:
  void ClearPadding() {
    if (size_ % 64 != 0 && !words_.empty()) words_.back() &= (uint64_t{1} << (size_ % 64)) - 1;
  }

  uint32_t size_ = 0;
  std::vector<uint64_t> words_;
};

}  // namespace gantry::placement
