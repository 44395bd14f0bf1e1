#include "api/uid/uid.h"

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <random>

namespace gantry::uid {

std::string NewRandomUuid() {
  static std::mutex mu;
  static std::mt19937_64 rng{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                             std::random_device{}()};
  uint64_t a, b;
  {
    std::lock_guard lock(mu);
    a = rng();
    b = rng();
  }
  // Version 4, variant 1.
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

}  // namespace gantry::uid
