#include "controllers/runtime/expectations.h"

namespace gantry::controllers::runtime {

void Expectations::Expect(const std::string& key, int64_t revision) {
  std::lock_guard lock(mu_);
  expected_[key] = {revision, clock_.Now()};
}

std::optional<clock::Clock::Duration> Expectations::Pending(const std::string& key,
                                                            int64_t cached_revision) {
  std::lock_guard lock(mu_);
  auto it = expected_.find(key);
  if (it == expected_.end()) return std::nullopt;
  const clock::Clock::Duration age = clock_.Now() - it->second.at;
  if (cached_revision >= it->second.revision || age >= ttl_) {
    expected_.erase(it);
    return std::nullopt;
  }
  return ttl_ - age;
}

void Expectations::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  expected_.erase(key);
}

}  // namespace gantry::controllers::runtime
