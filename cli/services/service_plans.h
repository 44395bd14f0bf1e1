#pragma once

// A Service's plan from gantryd (POST /apis/gantry.dev/v1/services/NAME/plan) and how gantryctl
// shows it: `plan -f` and `apply --dry-run=server` share both.

#include <ostream>

#include "api/client/gantry_client.h"
#include "api/status/status.h"
#include "gantry/v1/launch.pb.h"

namespace gantry::cli {

api::StatusOr<v1::ServicePlanPreview> RequestServicePlan(const client::GantryClient& client,
                                                         const google::protobuf::Message& service);

// One line saying where it goes, a table of starts and stops by zone and instance, then what
// would not place and why.
void PrintServicePlan(const v1::ServicePlanPreview& plan, std::ostream& out);

}  // namespace gantry::cli
