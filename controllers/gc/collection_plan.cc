#include "controllers/gc/collection_plan.h"

#include "api/clock/format_time.h"

namespace gantry::controllers::gc {
namespace {

std::optional<clock::Clock::TimePoint> TimeOf(const std::string& rfc3339) {
  const int64_t ms = clock::ParseTimeMs(rfc3339);
  if (ms < 0) return std::nullopt;
  return clock::Clock::TimePoint(std::chrono::milliseconds(ms));
}

}  // namespace

std::optional<clock::Clock::TimePoint> CollectableSince(const v1::Task& task) {
  if (task.status().last_status() != "STOPPED") return std::nullopt;
  return TimeOf(task.status().stopped_at());
}

std::optional<clock::Clock::TimePoint> CollectableSince(const v1::Event& event) {
  if (auto last = TimeOf(event.spec().last_timestamp())) return last;
  return TimeOf(event.metadata().creation_timestamp());
}

CollectionAction PlanCollection(std::optional<clock::Clock::TimePoint> since,
                                clock::Clock::Duration retention, clock::Clock::TimePoint now) {
  if (!since) return {};
  const auto due = *since + retention;
  if (due <= now) return {.collect = true};
  return {.wait = due - now};
}

}  // namespace gantry::controllers::gc
