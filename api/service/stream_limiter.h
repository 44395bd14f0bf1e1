#pragma once

// Caps on long-lived streams (REST and gRPC watches, followed logs), per user and in all, shared
// by every transport so one user cannot take every slot from the others. A slot is held for as
// long as its stream is open and given back when the Slot is destroyed.

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/status/status.h"

namespace gantry::api {

class StreamLimiter {
 public:
  StreamLimiter(size_t max_total, size_t max_per_user)
      : max_total_(max_total), max_per_user_(max_per_user) {}
  StreamLimiter(const StreamLimiter&) = delete;
  StreamLimiter& operator=(const StreamLimiter&) = delete;

  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : owner_(other.owner_), user_(std::move(other.user_)) {
      other.owner_ = nullptr;
    }
    Slot& operator=(Slot&& other) noexcept;
    ~Slot() { Release(); }
    bool held() const { return owner_ != nullptr; }

   private:
    friend class StreamLimiter;
    Slot(StreamLimiter* owner, std::string user) : owner_(owner), user_(std::move(user)) {}
    void Release();
    StreamLimiter* owner_ = nullptr;
    std::string user_;
  };

  // A slot for one more stream of `user`, or kResourceExhausted naming the cap that is full. With
  // authentication off every caller is the user "", which only the total cap applies to. The
  // limiter must outlive its slots.
  StatusOr<Slot> Acquire(const std::string& user);
  size_t open() const;
  size_t open_for(const std::string& user) const;
  size_t max_total() const { return max_total_; }
  size_t max_per_user() const { return max_per_user_; }

 private:
  void Release(const std::string& user);

  const size_t max_total_;
  const size_t max_per_user_;
  mutable std::mutex mu_;
  size_t open_ = 0;
  std::map<std::string, size_t> per_user_;
};

}  // namespace gantry::api
