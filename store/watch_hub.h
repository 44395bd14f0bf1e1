#pragma once

// Fan-out of committed changes to watchers (kine's broadcaster, in C++).
//
// A backend publishes each committed batch in revision order. Subscribe() registers a watcher and
// returns the last revision published before it, so the backend can replay older history from
// its own log and no event is lost or delivered twice between history and live changes.
// Each watcher buffers up to `max_buffered` events; one that falls further behind is closed
// (its client re-lists and watches again) rather than holding memory without bound.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace gantry::store {

class WatchHub {
 public:
  explicit WatchHub(size_t max_buffered = 100'000) : max_buffered_(max_buffered) {}
  ~WatchHub() { Close("store closed"); }

  // A watcher of keys under `prefix` that delivers only revisions after `after`; `*published`
  // receives the last published revision, and the caller replays its log from `after` up to it
  // with PrependHistory(). (A backend may count a revision as current before publishing it, so
  // live events at or below `after` can still arrive and are dropped here.)
  WatchPtr Subscribe(std::string prefix, int64_t after, int64_t* published);
  void Publish(const std::vector<WatchEvent>& events);
  // Sets the published revision without events (on open, to the store's current revision).
  void SetPublished(int64_t revision);
  void Close(const std::string& reason);
  size_t watcher_count();

  class Watcher;

 private:
  const size_t max_buffered_;
  std::mutex mu_;
  int64_t published_ = 0;
  bool closed_ = false;
  std::vector<std::shared_ptr<Watcher>> watchers_;
};

// Delivers `history` before whatever the hub has queued for `watch` since it subscribed.
void PrependHistory(Watch& watch, std::vector<WatchEvent> history);

}  // namespace gantry::store
