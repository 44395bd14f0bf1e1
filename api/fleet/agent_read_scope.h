#pragma once

// What an agent identity may read (Kubernetes' NodeRestriction is the model): its own container
// instances (labelled gantry.dev/agent=<user>), the tasks placed on them, and the task
// definitions those tasks name. Every other principal reads without a filter. Decided from the
// fleet view, so a filter costs a map lookup per object.

#include "api/fleet/fleet_view.h"
#include "api/service/read_scope.h"

namespace gantry::fleet {

class AgentReadScope : public api::ReadScope {
 public:
  // `fleet` must outlive the scope and every filter it hands out.
  explicit AgentReadScope(const FleetView& fleet) : fleet_(fleet) {}
  api::ObjectFilter FilterFor(const api::Principal& who,
                              const schema::KindInfo& kind) const override;

 private:
  const FleetView& fleet_;
};

}  // namespace gantry::fleet
