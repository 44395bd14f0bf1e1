#include "api/fleet/daemon_claims.h"

#include "api/fleet/task_service.h"
#include "api/schema/object_state.h"
#include "api/schema/task_groups.h"
#include "controllers/runtime/standard_indexes.h"

namespace gantry::fleet {

std::optional<api::DaemonReservation> DaemonClaimOf(
    const v1::Environment& environment, const controllers::runtime::Informer& definitions) {
  std::string revision = environment.status().task_definition();
  if (revision.empty())
    revision =
        controllers::runtime::ResolveRevision(definitions, environment.spec().task_definition());
  if (revision.empty()) return std::nullopt;
  auto definition = definitions.Get(revision);
  if (!definition) return std::nullopt;
  auto resources = ResourcesOf(static_cast<const v1::TaskDefinition&>(*definition));
  if (!resources.ok()) return std::nullopt;
  api::DaemonReservation claim;
  claim.cluster = schema::ClusterNameOf(environment.spec().instance_group().cluster());
  claim.filter = environment.spec().instance_group().filter();
  claim.task.group = schema::EnvironmentGroup(environment.metadata().name());
  claim.task.cpu = resources->cpu;
  claim.task.memory = resources->memory;
  claim.task.ports = resources->host_ports;
  return claim;
}

}  // namespace gantry::fleet
