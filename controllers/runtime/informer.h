#pragma once

// One kind's objects, cached and kept current (client-go's SharedIndexInformer): list every page,
// then watch from the list's revision; when the watch closes or its revision was compacted
// (410 Gone), list again and tell the handlers what changed meanwhile. Reads go through the
// client interface (api/client/client.h), never raw store keys.
//
// Event handlers run on the informer's thread, one at a time, after the cache already shows the
// change; they should only enqueue keys. Reads of the cache (Get, List, ByIndex) are safe from
// any thread and return immutable snapshots of objects.

#include <google/protobuf/message.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/client/client.h"
#include "api/clock/clock.h"
#include "api/schema/kinds.h"

namespace gantry::controllers::runtime {

using ObjectRef = std::shared_ptr<const google::protobuf::Message>;

// The store revision an object was read or written at (its resourceVersion); 0 when it has none.
int64_t RevisionOf(const google::protobuf::Message& object);

struct EventHandlers {
  std::function<void(const ObjectRef& added)> on_add;
  std::function<void(const ObjectRef& before, const ObjectRef& now)> on_update;
  std::function<void(const ObjectRef& deleted)> on_delete;
  // After the informer has applied everything its list or watch had delivered at one moment (a
  // store transaction is always delivered whole): where a handler that batches changes acts.
  std::function<void()> on_caught_up = nullptr;
};

// The values an object is indexed under (tasks by instance: {spec.containerInstance}).
using IndexFunc = std::function<std::vector<std::string>(const google::protobuf::Message&)>;

// What the informer keeps of each object (client-go's TransformFunc): the part its users read.
// It must keep metadata whole (the name and resourceVersion tell changes apart).
using TransformFunc = std::function<ObjectRef(ObjectRef object)>;

class Informer {
 public:
  // `client` and `clock` must outlive the informer. The clock paces retries after errors.
  Informer(client::Client& client, const schema::KindInfo& kind, clock::Clock& clock);
  ~Informer();  // stops
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Before Start().
  void AddEventHandlers(EventHandlers handlers);
  void AddIndex(const std::string& name, IndexFunc index);
  // Every object listed or watched goes through `transform` before the cache and the handlers
  // see it. The informer is shared by every user of its kind in the process: all of them get
  // what it keeps.
  void SetTransform(TransformFunc transform);

  void Start();
  void Stop();
  // True once the first full list is in the cache (handlers have seen every object as added).
  bool HasSynced() const;
  bool WaitForSync(std::chrono::milliseconds timeout) const;
  // The highest revision the cache reflects: a list's revision or the last event's object.
  int64_t ObservedRevision() const;
  // Waits until ObservedRevision() ≥ `revision` (a write of this kind this process made).
  bool WaitForRevision(int64_t revision, std::chrono::milliseconds timeout) const;

  const schema::KindInfo& kind() const { return kind_; }
  ObjectRef Get(const std::string& name) const;
  std::vector<ObjectRef> List() const;
  std::vector<ObjectRef> ByIndex(const std::string& index, const std::string& value) const;

  // How many times the informer listed (the first sync included), for tests and metrics.
  int64_t lists() const;

 private:
  void Run();
  // Lists every page; fires handlers for the differences from the cache. False on an error.
  bool Relist(int64_t& revision);
  void Watch(int64_t revision);
  // Applies the stream's events until it closes or the informer stops; events at or before
  // `listed` (what the last list showed) are skipped.
  void Follow(client::WatchStream& stream, int64_t listed);
  void Upsert(ObjectRef object);
  void Remove(const std::string& name);
  void CaughtUp();
  void IndexLocked(const std::string& name, const google::protobuf::Message* before,
                   const ObjectRef& now);
  void Observe(int64_t revision);
  // Waits until woken (a watch notification, Stop) or, with a delay, until the clock says so.
  void Sleep(std::optional<clock::Clock::Duration> delay);

  client::Client& client_;
  const schema::KindInfo& kind_;
  clock::Clock& clock_;
  std::vector<EventHandlers> handlers_;
  std::map<std::string, IndexFunc> index_funcs_;
  TransformFunc transform_;

  mutable std::shared_mutex cache_mu_;
  std::map<std::string, ObjectRef> items_;
  // index -> value -> the objects under it, by name (the cache's own references, so a lookup by
  // index reads no second table)
  std::map<std::string, std::map<std::string, std::map<std::string, ObjectRef>>> indexes_;

  // What wakes the informer's thread. Timer and watch callbacks hold it weakly, so one that
  // fires as the informer goes away touches nothing freed.
  struct Wake {
    std::mutex mu;
    std::condition_variable cv;
    bool woken = false;
    bool stop = false;
    void Signal();
  };
  std::shared_ptr<Wake> wake_ = std::make_shared<Wake>();

  mutable std::mutex mu_;  // guards everything below
  mutable std::condition_variable cv_;
  bool stop_ = false;
  bool synced_ = false;
  int64_t observed_ = 0;
  int64_t lists_ = 0;
  std::thread thread_;
};

}  // namespace gantry::controllers::runtime
