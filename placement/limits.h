#pragma once

// The limits placement checks on what it is given (ClusterSnapshot::Build, CompileRequest), in
// one place: the API's validation (api/validation/limits.h) keeps within them and asserts so at
// compile time, so that whatever the API accepts, placement accepts.

#include <cstddef>
#include <cstdint>

namespace gantry::placement {

inline constexpr size_t kMaxIdLength = 255;  // instance ids and ec2InstanceIds
inline constexpr size_t kMaxAttributeNameLength = 128;
inline constexpr size_t kMaxAttributeValueLength = 1024;
inline constexpr size_t kMaxGroupLength = 255;          // task groups
inline constexpr size_t kMaxStrategyFieldLength = 255;  // placementStrategy[].field
// cpu units or MiB, of an instance or a task: 2^31-1, far above any machine, so that every
// resource column fits in 32 bits.
inline constexpr int64_t kMaxResource = INT32_MAX;
inline constexpr int32_t kMinPort = 1;
inline constexpr int32_t kMaxPort = 65535;

inline constexpr size_t kMaxConstraints = 10;  // task definition and request together
inline constexpr size_t kMaxStrategies = 5;
inline constexpr int64_t kMaxCount = 1'000'000;

}  // namespace gantry::placement
