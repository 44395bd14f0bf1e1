#pragma once

// Writes of ContainerInstances and Tasks through the object service that the FleetCache sees at
// once, so the next placement reads what was just written (the store watch delivers it a moment
// later, and the cache ignores that older copy).

#include <functional>
#include <memory>
#include <string>

#include "api/fleet/fleet_cache.h"
#include "api/schema/kinds.h"
#include "api/service/object_service.h"

namespace gantry::fleet {

// ObjectService::Mutate on one T (v1::ContainerInstance or v1::Task): `edit` returns false to
// leave it unchanged. The stored object, as the cache now has it.
template <typename T>
api::StatusOr<std::shared_ptr<const T>> MutateObserved(
    api::ObjectService& objects, FleetCache& cache, const std::string& name,
    const std::function<api::StatusOr<bool>(T&)>& edit) {
  const schema::KindInfo& kind = *schema::FindKind(T::descriptor()->name());
  auto updated = objects.Mutate(
      kind, name, [&](google::protobuf::Message& m) { return edit(static_cast<T&>(m)); });
  if (!updated.ok()) return updated.status();
  auto stored = std::make_shared<T>(static_cast<const T&>(**updated));
  cache.Observe(*stored);
  return std::shared_ptr<const T>(std::move(stored));
}

// ObjectService::Create of a T with its first status (a server component's object).
template <typename T>
api::StatusOr<std::shared_ptr<const T>> CreateObserved(api::ObjectService& objects,
                                                       FleetCache& cache, const T& object) {
  auto created = objects.Create(object, {.keep_status = true});
  if (!created.ok()) return created.status();
  auto stored = std::make_shared<T>(static_cast<const T&>(**created));
  cache.Observe(*stored);
  return std::shared_ptr<const T>(std::move(stored));
}

}  // namespace gantry::fleet
