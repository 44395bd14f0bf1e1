#pragma once

// What the event stream controller (controllers/events) needs from gantryd: the ECS shape of a
// change (api/ecs/ecs_events.h) and a place for its cursors that survives restarts (store keys
// under /gantry/event-stream/, outside /registry/, so no watch, list or route sees them).

#include <string>

#include "api/clock/clock.h"
#include "api/fleet/ecs_names.h"
#include "controllers/events/event_stream_controller.h"
#include "store/store.h"

namespace gantry {

class EcsChangeRenderer : public controllers::events::ChangeRenderer {
 public:
  EcsChangeRenderer(fleet::EcsNames names, clock::Clock& clock)
      : names_(std::move(names)), clock_(clock) {}
  std::unique_ptr<v1::Event> Render(const google::protobuf::Message& object,
                                    const v1::ContainerInstance* instance) const override;

 private:
  const fleet::EcsNames names_;
  clock::Clock& clock_;
};

class StoreEventCursors : public controllers::events::CursorStore {
 public:
  explicit StoreEventCursors(store::Store& store) : store_(store) {}
  api::StatusOr<int64_t> Load(const std::string& kind) override;
  api::Status Save(const std::string& kind, int64_t revision) override;

 private:
  store::Store& store_;
};

}  // namespace gantry
