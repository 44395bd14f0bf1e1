#pragma once

// Kubernetes' ControllerExpectations, by revision. After writing an object at revision R, a
// controller records Expect(key, R); until its informer shows that object at R or later, Pending
// says so, and the reconcile returns instead of planning from a cache that predates its own
// write (the informer's update event for the write brings the key back). The worker is not held
// while the watch catches up, as a blocking wait would hold it.
//
// An expectation lapses after `ttl` (client-go's five minutes): a write the informer never shows
// as such (a relist folded it, the object was deleted) must not stop the controller for good.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/clock/clock.h"

namespace gantry::controllers::runtime {

class Expectations {
 public:
  explicit Expectations(clock::Clock& clock, clock::Clock::Duration ttl = std::chrono::minutes(5))
      : clock_(clock), ttl_(ttl) {}

  // The controller wrote `key`'s object at `revision`.
  void Expect(const std::string& key, int64_t revision);
  // How long to wait for `key` given the revision its object has in the informer's cache (0 when
  // the cache has none): nothing when the expected write shows (or there is none, or it lapsed),
  // else the time left before it lapses, to requeue after in case no event comes.
  std::optional<clock::Clock::Duration> Pending(const std::string& key, int64_t cached_revision);
  // The object is gone: nothing more to expect of it.
  void Forget(const std::string& key);

 private:
  struct Expected {
    int64_t revision = 0;
    clock::Clock::TimePoint at;
  };
  clock::Clock& clock_;
  const clock::Clock::Duration ttl_;
  std::mutex mu_;
  std::map<std::string, Expected> expected_;
};

}  // namespace gantry::controllers::runtime
