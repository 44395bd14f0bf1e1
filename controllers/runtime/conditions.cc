#include "controllers/runtime/conditions.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>

#include "api/schema/object_state.h"

namespace gantry::controllers::runtime {

v1::Condition ConditionOf(const google::protobuf::RepeatedPtrField<v1::Condition>& before,
                          const std::string& type, bool holds, const std::string& reason,
                          const std::string& message, const std::string& now, int32_t generation) {
  v1::Condition c;
  c.set_type(type);
  c.set_status(holds ? "True" : "False");
  c.set_reason(reason);
  c.set_message(message);
  c.set_observed_generation(generation);
  c.set_last_transition_time(now);
  for (const auto& old : before) {
    if (old.type() == type && old.status() == c.status())
      c.set_last_transition_time(old.last_transition_time());
  }
  return c;
}

bool FailedOnItsOwn(const v1::Task& t) {
  return t.status().last_status() == "STOPPED" && t.spec().desired_status() != "STOPPED" &&
         t.status().stopped_reason() != schema::kReasonInstanceLost;
}

bool PlacementChanged(const v1::ContainerInstance& before, const v1::ContainerInstance& now) {
  return before.status().status() != now.status().status() ||
         before.status().agent_connected() != now.status().agent_connected() ||
         !google::protobuf::util::MessageDifferencer::Equals(before.spec(), now.spec());
}

clock::Clock::Duration DoublingBackoff(int failures, clock::Clock::Duration base,
                                       clock::Clock::Duration most) {
  clock::Clock::Duration backoff = base;
  for (int i = 1; i < failures && backoff < most; ++i) backoff *= 2;
  return std::min(backoff, most);
}

}  // namespace gantry::controllers::runtime
