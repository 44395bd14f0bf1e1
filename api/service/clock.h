#pragma once

// Injected time: production code reads a Clock, tests advance a FakeClock.

#include <chrono>
#include <mutex>
#include <string>

namespace gantry::api {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
};

class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::now();
  }
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(
      std::chrono::system_clock::time_point start = std::chrono::system_clock::time_point(
          std::chrono::seconds(1'767'225'600)))  // 2026-01-01T00:00:00Z
      : now_(start) {}
  std::chrono::system_clock::time_point Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Advance(std::chrono::system_clock::duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point now_;
};

// RFC 3339 in UTC with second precision: 2026-11-25T07:54:26Z.
std::string FormatTime(std::chrono::system_clock::time_point t);

}  // namespace gantry::api
