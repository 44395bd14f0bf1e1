#include "controllers/runtime/owner_handlers.h"

#include "api/schema/kinds.h"
#include "controllers/runtime/conditions.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::runtime {

std::string FamilyOf(std::string_view reference) {
  if (auto slash = reference.rfind('/'); slash != std::string_view::npos)
    reference.remove_prefix(slash + 1);
  return std::string(reference.substr(0, reference.find(':')));
}

void OnPlacementChange(Informer& instances,
                       std::function<void(const std::string& cluster)> changed) {
  auto of = [changed](const ObjectRef& o) {
    changed(static_cast<const v1::ContainerInstance&>(*o).spec().cluster());
  };
  instances.AddEventHandlers(
      {of,
       [of](const ObjectRef& before, const ObjectRef& now) {
         if (PlacementChanged(static_cast<const v1::ContainerInstance&>(*before),
                              static_cast<const v1::ContainerInstance&>(*now)))
           of(now);
       },
       of});
}

void EnqueueOnNewRevision(
    Informer& definitions, const Informer& owners, WorkQueue& queue,
    std::function<std::string(const google::protobuf::Message&)> reference_of) {
  auto of = [&owners, &queue, reference_of](const ObjectRef& o) {
    const std::string& family = static_cast<const v1::TaskDefinition&>(*o).status().family();
    for (const auto& owner : owners.List())
      if (FamilyOf(reference_of(*owner)) == family) queue.Add(schema::MetaOf(*owner).name());
  };
  definitions.AddEventHandlers(
      {of, [of](const ObjectRef&, const ObjectRef& now) { of(now); }, nullptr});
}

}  // namespace gantry::controllers::runtime
