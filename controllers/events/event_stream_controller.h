#pragma once

// The event stream: every change of a Task or ContainerInstance becomes an Event object (in
// gantryd the ECS CloudWatch shapes, "ECS Task State Change" and "ECS Container Instance State
// Change"), served by the ordinary watch of events and `gantryctl events -w`.
//
//   Task / ContainerInstance informer: each added or changed object newer than its kind's saved
//       cursor ─▶ that kind's pending changes, in the order the informer saw them; once the
//       informer has caught up (a whole transaction applied) ─▶ enqueue the kind
//   reconcile(kind) ─▶ render up to kMaxEventsPerCommit of them ─▶ Create them in one Commit
//       (one by one when the commit fails, skipping those a replay finds recorded)
//       ─▶ the kind's cursor: saved through the CursorStore at most once a second
//
// Delivery is at least once: an Event's name is fixed by the change it describes (kind, name,
// revision), so a replay after a restart creates nothing twice, and the cursor never passes a
// change still pending. Deletions make no event. controllers/gc deletes Events past their
// retention.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/client/client.h"
#include "api/clock/clock.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/informer_factory.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::events {

// How a change reads as an Event (in gantryd: api/ecs's shapes).
class ChangeRenderer {
 public:
  virtual ~ChangeRenderer() = default;
  // The Event describing `object` as of its resourceVersion, named so that the same change always
  // gets the same name; nullptr to record nothing. `instance` is a task's container instance
  // when the informer has it.
  virtual std::unique_ptr<v1::Event> Render(const google::protobuf::Message& object,
                                            const v1::ContainerInstance* instance) const = 0;
};

// Where each kind's cursor (the revision up to which its changes are recorded) survives restarts.
class CursorStore {
 public:
  virtual ~CursorStore() = default;
  // 0 when none was saved: every object then gets an event for its current state.
  virtual api::StatusOr<int64_t> Load(const std::string& kind) = 0;
  virtual api::Status Save(const std::string& kind, int64_t revision) = 0;
};

class EventStreamController {
 public:
  static constexpr const char* kName = "events";
  // Below the store's transaction limit, and small enough that one commit stays a few ms.
  static constexpr size_t kMaxEventsPerCommit = 500;
  // Beyond this many unrecorded changes of a kind (the store refusing writes for a long time),
  // the oldest are dropped and counted rather than held without bound.
  static constexpr size_t kMaxPending = 100'000;
  static constexpr std::chrono::seconds kCursorSaveInterval{1};

  // Loads the cursors, then registers handlers on `informers`' Task and ContainerInstance
  // informers (before they start). Everything given must outlive the controller.
  static api::StatusOr<std::unique_ptr<EventStreamController>> Create(
      client::Client& client, clock::Clock& clock, const ChangeRenderer& renderer,
      CursorStore& cursors, runtime::InformerFactory& informers,
      runtime::ControllerOptions options);

  runtime::Controller& controller() { return *controller_; }

  // One pass for one kind (what the workers call; tests call it directly).
  api::StatusOr<runtime::ReconcileOutcome> Reconcile(const std::string& kind);
  // Saves every cursor that moved; gantryd calls it once the controllers have stopped.
  api::Status SaveCursors();
  int64_t dropped() const;

 private:
  struct Stream {
    int64_t floor = 0;  // changes at or below it were recorded before this process started
    std::deque<runtime::ObjectRef> pending;
    int64_t recorded = 0;  // the highest revision recorded
    int64_t saved = 0;     // the cursor as last saved
    std::optional<clock::Clock::TimePoint> saved_at;
  };

  EventStreamController(client::Client& client, clock::Clock& clock, const ChangeRenderer& renderer,
                        CursorStore& cursors, runtime::InformerFactory& informers);
  void Follow(runtime::Informer& informer);
  void Hold(const std::string& kind, const runtime::ObjectRef& object);
  api::Status Record(const std::vector<runtime::ObjectRef>& changes);
  // The revision every change up to which is recorded.
  static int64_t CursorOf(const Stream& stream);

  client::Client& client_;
  clock::Clock& clock_;
  const ChangeRenderer& renderer_;
  CursorStore& cursors_;
  runtime::Informer& tasks_;
  runtime::Informer& instances_;
  std::unique_ptr<runtime::Controller> controller_;

  mutable std::mutex mu_;
  std::map<std::string, Stream> streams_;  // by kind
  int64_t dropped_ = 0;
};

}  // namespace gantry::controllers::events
