#pragma once

// How long a key waits before it is retried (client-go's workqueue rate limiters). The work queue
// asks When(key) each time a reconcile of `key` fails, and calls Forget(key) once it succeeds.
//
// Thread-safety: every limiter may be called from any number of threads.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/clock/clock.h"

namespace gantry::controllers::runtime {

class RateLimiter {
 public:
  using Duration = clock::Clock::Duration;

  virtual ~RateLimiter() = default;

  // The delay before `key` may be processed again; counts one more retry of `key`.
  virtual Duration When(const std::string& key) = 0;
  // Clears what is remembered about `key`, so its next failure starts from the first delay.
  virtual void Forget(const std::string& key) = 0;
  virtual int NumRequeues(const std::string& key) const = 0;
};

// Per key: base, 2·base, 4·base, … capped at `max` (client-go's ItemExponentialFailureRateLimiter).
class ExponentialBackoffRateLimiter : public RateLimiter {
 public:
  ExponentialBackoffRateLimiter(Duration base, Duration max) : base_(base), max_(max) {}

  Duration When(const std::string& key) override;
  void Forget(const std::string& key) override;
  int NumRequeues(const std::string& key) const override;

 private:
  const Duration base_;
  const Duration max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> failures_;
};

// One bucket for every key: `burst` retries at once, then `qps` per second (client-go's
// BucketRateLimiter over golang.org/x/time/rate). Each When reserves a token even when the bucket
// is empty, so a backlog of retries is spread out at `qps` rather than released together. Time
// comes from the injected clock.
class TokenBucketRateLimiter : public RateLimiter {
 public:
  TokenBucketRateLimiter(clock::Clock& clock, double qps, int burst);

  Duration When(const std::string& key) override;
  void Forget(const std::string&) override {}
  int NumRequeues(const std::string&) const override { return 0; }

 private:
  clock::Clock& clock_;
  const Duration interval_;  // one token's worth of time, 1 s / qps
  const Duration capacity_;  // a full bucket's worth of time, burst · interval
  std::mutex mu_;
  // When the bucket would be full again if no more tokens were taken. Kept as a time rather than a
  // fractional token count (the generic cell rate algorithm, which is the same bucket) so that
  // delays are exact multiples of the interval.
  clock::Clock::TimePoint full_at_{};
};

// The longest delay any of `limiters` asks for (client-go's MaxOfRateLimiter).
class MaxOfRateLimiter : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
      : limiters_(std::move(limiters)) {}

  Duration When(const std::string& key) override;
  void Forget(const std::string& key) override;
  int NumRequeues(const std::string& key) const override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

// client-go's DefaultControllerRateLimiter: per-key backoff from 5 ms to 1000 s, and 10 retries a
// second with a burst of 100 over all keys.
std::unique_ptr<RateLimiter> DefaultControllerRateLimiter(clock::Clock& clock);

}  // namespace gantry::controllers::runtime
