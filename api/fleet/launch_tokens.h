#pragma once

// clientToken idempotency for RunTask and StartTask, as ECS has it ("Ensuring idempotency"): a
// repeat of a request with the same token within 24 hours answers with the first call's tasks and
// failures instead of launching again, also after gantryd restarts; the same token with other
// parameters is a conflict that names the first call's tasks (ECS ConflictException).
//
// Durable without a multi-key transaction:
//   launch ─▶ Task objects, each annotated with the token and the request's fingerprint
//          ─▶ record /gantry/launch-tokens/<hex token> {fingerprint, createdAtMs, cluster,
//             task ids, failures}
// A crash between the two leaves tasks without a record. At start the launcher finds them by
// their annotation (TaskService::Recover), and a repeat adopts them and launches only what is
// missing. Records expire 24 hours after the first call: Find ignores them from then on and
// CollectExpired deletes them (gantryd's ClientTokenCollector, once a minute).
//
// The records live under their own store prefix, outside /registry/: no watch, list or REST
// route sees them.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/fleet/launch_request.h"
#include "api/status/status.h"
#include "store/store.h"

namespace gantry::fleet {

inline constexpr std::chrono::hours kClientTokenLifetime{24};
inline constexpr size_t kMaxClientTokenLength = 64;
// On tasks launched with a token: the token, and the fingerprint of the request that launched
// them (what a crash recovery compares a repeat with).
inline constexpr const char* kClientTokenAnnotation = "gantry.dev/client-token";
inline constexpr const char* kLaunchFingerprintAnnotation = "gantry.dev/launch-fingerprint";
inline constexpr std::string_view kLaunchTokenPrefix = "/gantry/launch-tokens/";

// botocore's rule for ECS clientToken: up to 64 characters, each in the range 33-126 (printable
// ASCII without space). "" means no token. InvalidArgument naming `clientToken` otherwise.
api::Status ValidateClientToken(std::string_view token);

// SHA-256 (hex) of a request's parameters as the client gave them: the operation ("RunTask",
// "StartTask"), cluster, task definition reference, count, group, startedBy, constraints,
// strategies and container instances. Names and ARNs of the same object count as equal; the
// token itself is not part of it.
std::string LaunchFingerprint(std::string_view operation, const LaunchRequest& request);

struct LaunchRecord {
  std::string fingerprint;
  int64_t created_ms = 0;  // the first call, milliseconds since the epoch
  std::string cluster;
  std::vector<std::string> task_ids;
  std::vector<LaunchFailure> failures;
};

// The records in the store. Thread-safe; TaskService serializes the launches that use it.
class LaunchTokens {
 public:
  explicit LaunchTokens(store::Store& store) : store_(store) {}

  // Reads every record's age (at start) so CollectExpired finds them without listing.
  api::Status Load();
  // The record of `token`, unless it is older than kClientTokenLifetime at `now_ms`. An
  // unreadable record counts as none (it expires like any other).
  api::StatusOr<std::optional<LaunchRecord>> Find(std::string_view token, int64_t now_ms) const;
  // Whether `token` has a record younger than kClientTokenLifetime at `now_ms` (as of Load and
  // Save; no store read).
  bool Recorded(std::string_view token, int64_t now_ms) const;
  // Creates or replaces the record of `token`.
  api::Status Save(std::string_view token, const LaunchRecord& record);
  // Deletes the records older than kClientTokenLifetime at `now_ms`; returns how many.
  size_t CollectExpired(int64_t now_ms);

 private:
  struct Entry {
    int64_t created_ms = 0;
    int64_t revision = 0;  // the record's mod_revision, so a sweep never deletes a newer save
  };

  store::Store& store_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> index_;  // store key -> age and revision
};

}  // namespace gantry::fleet
