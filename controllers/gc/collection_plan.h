#pragma once

// When a finished object may go: a STOPPED task some time after it stopped (ECS keeps stopped
// tasks visible for about an hour), an Event some time after it last happened (Kubernetes' event
// TTL). Pure functions of the object and the time, so tables test them.

#include <optional>

#include "api/clock/clock.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::gc {

// The moment from which retention counts; nothing while the object is not collectable (a task
// that has not stopped) or its time cannot be read (it is then kept: never delete on a guess).
std::optional<clock::Clock::TimePoint> CollectableSince(const v1::Task& task);
// Its lastTimestamp, else its creation.
std::optional<clock::Clock::TimePoint> CollectableSince(const v1::Event& event);

struct CollectionAction {
  bool collect = false;            // delete it now
  clock::Clock::Duration wait{0};  // else look again after this long (zero: never, by time)
};

CollectionAction PlanCollection(std::optional<clock::Clock::TimePoint> since,
                                clock::Clock::Duration retention, clock::Clock::TimePoint now);

}  // namespace gantry::controllers::gc
