#pragma once

// Writes of ContainerInstances and Tasks through the object service that return once the
// FleetView shows them, so the next read (the next placement, the next report pinned to the
// resourceVersion) sees what was just written.

#include <functional>
#include <memory>
#include <string>

#include "api/fleet/fleet_view.h"
#include "api/schema/kinds.h"
#include "api/service/object_service.h"
#include "controllers/runtime/informer.h"

namespace gantry::fleet {

// Waits (bounded) until `view` shows `written`, a v1::Task or v1::ContainerInstance as stored.
template <typename T>
void AwaitShown(const FleetView& view, const T& written) {
  const int64_t revision = controllers::runtime::RevisionOf(written);
  if constexpr (std::is_same_v<T, v1::Task>) {
    (void)view.WaitForTasks(revision);
  } else {
    (void)view.WaitForInstances(revision);
  }
}

// ObjectService::Mutate on one T (v1::ContainerInstance or v1::Task): `edit` returns false to
// leave it unchanged. The stored object, once the view has it.
template <typename T>
api::StatusOr<std::shared_ptr<const T>> MutateObserved(
    api::ObjectService& objects, const FleetView& view, const std::string& name,
    const std::function<api::StatusOr<bool>(T&)>& edit) {
  const schema::KindInfo& kind = *schema::FindKind(T::descriptor()->name());
  auto updated = objects.Mutate(
      kind, name, [&](google::protobuf::Message& m) { return edit(static_cast<T&>(m)); });
  if (!updated.ok()) return updated.status();
  auto stored = std::make_shared<T>(static_cast<const T&>(**updated));
  AwaitShown(view, *stored);
  return std::shared_ptr<const T>(std::move(stored));
}

// ObjectService::Create of a T with its first status (a server component's object).
template <typename T>
api::StatusOr<std::shared_ptr<const T>> CreateObserved(api::ObjectService& objects,
                                                       const FleetView& view, const T& object) {
  auto created = objects.Create(object, {.keep_status = true});
  if (!created.ok()) return created.status();
  auto stored = std::make_shared<T>(static_cast<const T&>(**created));
  AwaitShown(view, *stored);
  return std::shared_ptr<const T>(std::move(stored));
}

}  // namespace gantry::fleet
