#pragma once

// What the controllers share about an object's status: kstatus conditions whose transition time
// holds while their status does, a task that stopped on its own, an instance change that moves
// placement, and a doubling backoff.

#include <google/protobuf/repeated_ptr_field.h>

#include <string>

#include "api/clock/clock.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::runtime {

// The condition `type` as it should be; its lastTransitionTime is kept from `before` while its
// status holds, so a status planned twice on the same view comes out the same.
v1::Condition ConditionOf(const google::protobuf::RepeatedPtrField<v1::Condition>& before,
                          const std::string& type, bool holds, const std::string& reason,
                          const std::string& message, const std::string& now, int32_t generation);

// Stopped without being asked to, and not lost with its instance: what backoffs and circuit
// breakers count.
bool FailedOnItsOwn(const v1::Task& task);

// A change of an instance's status, connection or spec (not its recounts, which every launch
// writes): where tasks may go changed.
bool PlacementChanged(const v1::ContainerInstance& before, const v1::ContainerInstance& now);

// `base` doubled for each failure after the first, at most `most`.
clock::Clock::Duration DoublingBackoff(int failures, clock::Clock::Duration base,
                                       clock::Clock::Duration most);

}  // namespace gantry::controllers::runtime
