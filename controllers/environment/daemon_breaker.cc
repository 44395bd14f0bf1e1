#include "controllers/environment/daemon_breaker.h"

#include <algorithm>

#include "api/clock/format_time.h"

namespace gantry::controllers::environment {
namespace {

bool Open(const v1::Deployment& d) {
  const std::string& p = d.status().phase();
  return p.empty() || p == "PENDING" || p == "IN_PROGRESS";
}

// The revision of the newest COMPLETED deployment after `index` (older) of another revision.
std::string Previous(const std::vector<const v1::Deployment*>& deployments, size_t index,
                     const std::string& wanted) {
  for (size_t i = index + 1; i < deployments.size(); ++i) {
    const auto& d = *deployments[i];
    if (d.status().phase() == "COMPLETED" && d.spec().task_definition() != wanted)
      return d.spec().task_definition();
  }
  return "";
}

}  // namespace

BreakerOutcome ApplyBreaker(const BreakerInput& in) {
  BreakerOutcome out;
  out.run = in.wanted;
  size_t index = in.deployments.size();
  for (size_t i = 0; i < in.deployments.size(); ++i) {
    if (in.deployments[i]->spec().task_definition() == in.wanted) {
      index = i;
      break;
    }
  }
  if (index == in.deployments.size()) return out;  // no deployment of it: nothing to break
  const v1::Deployment& d = *in.deployments[index];
  const std::string previous = Previous(in.deployments, index, in.wanted);
  if (d.status().phase() == "ROLLED_BACK") {
    if (previous.empty()) {
      out.halted = true;
    } else {
      out.run = previous;
    }
    return out;
  }
  if (d.status().phase() == "FAILED") {
    // FAILED by the breaker holds; FAILED because the environment moved on to another revision
    // does not (the revision is simply wanted again).
    for (const auto& c : d.status().conditions())
      if (c.reason() == kCircuitBreaker) out.halted = true;
    return out;
  }
  if (!Open(d)) return out;
  const int64_t since = d.status().started_at().empty()
                            ? clock::ParseTimeMs(d.metadata().creation_timestamp())
                            : clock::ParseTimeMs(d.status().started_at());
  const auto failures = std::count_if(
      in.failed_at.begin(), in.failed_at.end(),
      [&](const std::string& at) { return !at.empty() && clock::ParseTimeMs(at) >= since; });
  out.failures = static_cast<int>(failures);
  if (in.threshold <= 0 || failures < in.threshold) return out;
  out.tripped = d.metadata().name();
  out.reason = "circuit breaker: " + std::to_string(failures) + " tasks of " + in.wanted +
               " failed (threshold " + std::to_string(in.threshold) + ")";
  if (in.rollback && !previous.empty()) {
    out.phase = "ROLLED_BACK";
    out.run = previous;
    out.reason += "; rolled back to " + previous;
  } else {
    out.phase = "FAILED";
    out.halted = true;
    if (in.rollback) out.reason += "; no earlier completed revision to roll back to";
  }
  return out;
}

}  // namespace gantry::controllers::environment
