#pragma once

// Daemon first: the claim a daemon Environment makes on the instances of its group, for the
// launcher to hold their room (api/service/launcher.h).

#include <optional>

#include "api/service/launcher.h"
#include "controllers/runtime/informer.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::fleet {

// The resources and ports of the revision the environment runs (its status's; before its
// controller has written one, the latest revision its spec names) on every ACTIVE instance of
// its group. nullopt while it has no such revision, or one placement cannot size.
std::optional<api::DaemonReservation> DaemonClaimOf(
    const v1::Environment& environment, const controllers::runtime::Informer& definitions);

}  // namespace gantry::fleet
