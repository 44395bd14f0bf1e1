#include "controllers/events/event_stream_controller.h"

#include <algorithm>
#include <iostream>

#include "api/schema/kinds.h"

namespace gantry::controllers::events {

api::StatusOr<std::unique_ptr<EventStreamController>> EventStreamController::Create(
    client::Client& client, clock::Clock& clock, const ChangeRenderer& renderer,
    CursorStore& cursors, runtime::InformerFactory& informers, runtime::ControllerOptions options) {
  std::unique_ptr<EventStreamController> c(
      new EventStreamController(client, clock, renderer, cursors, informers));
  for (runtime::Informer* informer : {&c->tasks_, &c->instances_}) {
    const std::string kind = informer->kind().kind;
    auto floor = cursors.Load(kind);
    if (!floor.ok()) return floor.status();
    Stream& s = c->streams_[kind];
    s.floor = s.recorded = s.saved = *floor;
  }
  if (options.name.empty()) options.name = kName;
  EventStreamController* self = c.get();
  c->controller_ = std::make_unique<runtime::Controller>(
      clock, [self](const std::string& key) { return self->Reconcile(key); }, std::move(options));
  c->Follow(c->tasks_);
  c->Follow(c->instances_);
  return c;
}

EventStreamController::EventStreamController(client::Client& client, clock::Clock& clock,
                                             const ChangeRenderer& renderer, CursorStore& cursors,
                                             runtime::InformerFactory& informers)
    : client_(client),
      clock_(clock),
      renderer_(renderer),
      cursors_(cursors),
      tasks_(informers.For(*schema::FindKind("Task"))),
      instances_(informers.For(*schema::FindKind("ContainerInstance"))) {}

void EventStreamController::Follow(runtime::Informer& informer) {
  const std::string kind = informer.kind().kind;
  // Changes wait until the informer has applied all it was handed at once, so the changes of
  // one store transaction become the events of one commit.
  informer.AddEventHandlers({
      [this, kind](const runtime::ObjectRef& added) { Hold(kind, added); },
      [this, kind](const runtime::ObjectRef&, const runtime::ObjectRef& now) { Hold(kind, now); },
      nullptr,
      [this, kind] {
        bool any;
        {
          std::lock_guard lock(mu_);
          any = !streams_[kind].pending.empty();
        }
        if (any) controller_->queue().Add(kind);
      },
  });
}

void EventStreamController::Hold(const std::string& kind, const runtime::ObjectRef& object) {
  std::lock_guard lock(mu_);
  Stream& s = streams_[kind];
  // At start the informer lists every object: those unchanged since the cursor were recorded.
  if (runtime::RevisionOf(*object) <= s.floor) return;
  if (s.pending.size() >= kMaxPending) {
    s.pending.pop_front();
    if (dropped_++ == 0) {
      std::cerr << "gantryd: event stream: more than " << kMaxPending << " " << kind
                << " changes wait to be recorded; dropping the oldest" << std::endl;
    }
  }
  s.pending.push_back(object);
}

int64_t EventStreamController::CursorOf(const Stream& s) {
  int64_t cursor = s.recorded;
  for (const auto& o : s.pending) cursor = std::min(cursor, runtime::RevisionOf(*o) - 1);
  return std::max(cursor, s.floor);
}

api::StatusOr<runtime::ReconcileOutcome> EventStreamController::Reconcile(const std::string& kind) {
  std::vector<runtime::ObjectRef> batch;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(kind);
    if (it == streams_.end()) return runtime::ReconcileOutcome{};  // not a kind it follows
    const auto& pending = it->second.pending;
    batch.assign(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                        pending.size(), kMaxEventsPerCommit)));
  }
  if (!batch.empty()) {
    if (auto st = Record(batch); !st.ok()) return st;  // kept pending; retried with backoff
    std::lock_guard lock(mu_);
    Stream& s = streams_[kind];
    for (const auto& done : batch) {
      s.recorded = std::max(s.recorded, runtime::RevisionOf(*done));
      // Only what this pass recorded leaves (the oldest may have been dropped meanwhile).
      if (!s.pending.empty() && s.pending.front() == done) s.pending.pop_front();
    }
    if (!s.pending.empty()) controller_->queue().Add(kind);
  }

  int64_t cursor;
  std::optional<clock::Clock::TimePoint> saved_at;
  {
    std::lock_guard lock(mu_);
    const Stream& s = streams_[kind];
    cursor = CursorOf(s);
    if (cursor <= s.saved) return runtime::ReconcileOutcome{};
    saved_at = s.saved_at;
  }
  // A burst of changes saves the cursor once a second, not once per commit.
  const auto now = clock_.Now();
  if (saved_at && now - *saved_at < kCursorSaveInterval) {
    return runtime::ReconcileOutcome{.requeue_after = kCursorSaveInterval - (now - *saved_at)};
  }
  if (auto st = cursors_.Save(kind, cursor); !st.ok()) return st;
  std::lock_guard lock(mu_);
  Stream& s = streams_[kind];
  s.saved = cursor;
  s.saved_at = now;
  return runtime::ReconcileOutcome{};
}

api::Status EventStreamController::Record(const std::vector<runtime::ObjectRef>& changes) {
  std::vector<std::unique_ptr<v1::Event>> events;
  events.reserve(changes.size());
  for (const auto& change : changes) {
    runtime::ObjectRef instance;
    if (const auto* task = dynamic_cast<const v1::Task*>(change.get())) {
      instance = instances_.Get(task->spec().container_instance());
    }
    auto event =
        renderer_.Render(*change, static_cast<const v1::ContainerInstance*>(instance.get()));
    if (event) events.push_back(std::move(event));
  }
  if (events.empty()) return {};
  std::vector<client::Write> writes;
  writes.reserve(events.size());
  for (const auto& e : events) writes.push_back({client::Write::Type::kCreate, e.get()});
  if (client_.Commit(writes).ok()) return {};
  // One by one: an event a replay finds recorded (kAlreadyExists) or one the store refuses for
  // good must not hold up the others; anything else is retried.
  for (const auto& e : events) {
    auto created = client_.Create(*e);
    if (created.ok() || created.status().code() == api::Code::kAlreadyExists) continue;
    if (created.status().code() == api::Code::kInvalidArgument) {
      std::cerr << "gantryd: event stream: cannot record " << e->metadata().name() << ": "
                << created.status().ToString() << std::endl;
      std::lock_guard lock(mu_);
      ++dropped_;
      continue;
    }
    return created.status();
  }
  return {};
}

api::Status EventStreamController::SaveCursors() {
  api::Status first_error;
  std::lock_guard lock(mu_);
  for (auto& [kind, s] : streams_) {
    const int64_t cursor = CursorOf(s);
    if (cursor <= s.saved) continue;
    if (auto st = cursors_.Save(kind, cursor); !st.ok()) {
      if (first_error.ok()) first_error = st;
      continue;
    }
    s.saved = cursor;
    s.saved_at = clock_.Now();
  }
  return first_error;
}

int64_t EventStreamController::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace gantry::controllers::events
