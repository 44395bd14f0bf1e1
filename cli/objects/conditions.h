#pragma once

// The kstatus conditions (Ready, Reconciling, Stalled) of any object that has
// status.conditions, read through reflection: what describe tabulates, wait waits on and
// status judges.

#include <google/protobuf/message.h>

#include <string_view>
#include <vector>

#include "gantry/v1/meta.pb.h"

namespace gantry::cli {

// In the object's order; empty for a kind without status.conditions.
std::vector<const v1::Condition*> ConditionsOf(const google::protobuf::Message& object);
// The condition of `type` (compared without regard to case, as kubectl does), or nullptr.
const v1::Condition* FindCondition(const google::protobuf::Message& object, std::string_view type);

}  // namespace gantry::cli
