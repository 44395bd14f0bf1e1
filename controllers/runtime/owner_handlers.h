#pragma once

// Handlers an owner controller (Services, Environments) puts on the informers of what its
// objects depend on: an instance change that moves placement, and a new task definition
// revision of a family its objects follow.

#include <functional>
#include <string>
#include <string_view>

#include "controllers/runtime/informer.h"
#include "controllers/runtime/work_queue.h"

namespace gantry::controllers::runtime {

// The family a task definition reference names: family, family:N, or an ARN of either.
std::string FamilyOf(std::string_view reference);

// On `instances`: one added, deleted, or changed in what placement reads (PlacementChanged)
// calls `changed` with its cluster; its recounts (every launch writes one) do not.
void OnPlacementChange(Informer& instances,
                       std::function<void(const std::string& cluster)> changed);

// On `definitions`: a revision added or changed enqueues, by name, every object of `owners`
// whose task definition (`reference_of`) follows that family.
void EnqueueOnNewRevision(
    Informer& definitions, const Informer& owners, WorkQueue& queue,
    std::function<std::string(const google::protobuf::Message&)> reference_of);

}  // namespace gantry::controllers::runtime
