#include "controllers/runtime/rate_limiter.h"

#include <algorithm>
#include <chrono>

namespace gantry::controllers::runtime {

RateLimiter::Duration ExponentialBackoffRateLimiter::When(const std::string& key) {
  int exponent;
  {
    std::lock_guard lock(mu_);
    exponent = failures_[key]++;
  }
  // base · 2^exponent, compared before multiplying so that a long run of failures saturates at
  // max instead of overflowing.
  if (exponent >= 62 || base_.count() > (max_.count() >> exponent)) return max_;
  return std::min(max_, base_ * (int64_t{1} << exponent));
}

void ExponentialBackoffRateLimiter::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int ExponentialBackoffRateLimiter::NumRequeues(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

TokenBucketRateLimiter::TokenBucketRateLimiter(clock::Clock& clock, double qps, int burst)
    : clock_(clock),
      interval_(std::chrono::round<Duration>(std::chrono::duration<double>(1.0 / qps))),
      capacity_(interval_ * burst) {}

RateLimiter::Duration TokenBucketRateLimiter::When(const std::string&) {
  const auto now = clock_.Now();
  std::lock_guard lock(mu_);
  // A bucket that has had time to refill is full, not fuller.
  full_at_ = std::max(full_at_, now) + interval_;
  return std::max(Duration::zero(), full_at_ - now - capacity_);
}

RateLimiter::Duration MaxOfRateLimiter::When(const std::string& key) {
  Duration longest = Duration::zero();
  // Every limiter is asked, so each one counts the retry.
  for (auto& limiter : limiters_) longest = std::max(longest, limiter->When(key));
  return longest;
}

void MaxOfRateLimiter::Forget(const std::string& key) {
  for (auto& limiter : limiters_) limiter->Forget(key);
}

int MaxOfRateLimiter::NumRequeues(const std::string& key) const {
  int most = 0;
  for (const auto& limiter : limiters_) most = std::max(most, limiter->NumRequeues(key));
  return most;
}

std::unique_ptr<RateLimiter> DefaultControllerRateLimiter(clock::Clock& clock) {
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(std::make_unique<ExponentialBackoffRateLimiter>(std::chrono::milliseconds(5),
                                                                     std::chrono::seconds(1000)));
  limiters.push_back(std::make_unique<TokenBucketRateLimiter>(clock, 10.0, 100));
  return std::make_unique<MaxOfRateLimiter>(std::move(limiters));
}

}  // namespace gantry::controllers::runtime
