#pragma once

// Event objects about the objects a controller manages, the way Kubernetes' recorder writes
// them: "Warning FailedPlacement task web-1: no instance has 512 MiB free". Repeats of the same
// event (same object, type, reason and message) update one Event's count and lastTimestamp
// instead of writing a new object, and each object's events are rate-limited (a burst of 25,
// then one per 5 minutes, as Kubernetes' spam filter), so a controller stuck in a loop cannot
// flood the store.
//
// Event writes are best-effort: a failed write is counted and returned, never retried, and never
// stops the controller's own work.

#include <google/protobuf/message.h>

#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "api/client/client.h"
#include "api/clock/clock.h"
#include "api/status/status.h"

namespace gantry::controllers::runtime {

enum class EventType { kNormal, kWarning };

struct RecorderOptions {
  size_t burst = 25;                                        // events per object at once
  clock::Clock::Duration refill = std::chrono::minutes(5);  // one more event per object
  size_t remembered = 4096;  // distinct events whose counts are kept (least recently used go)
};

class EventRecorder {
 public:
  // `client` and `clock` must outlive the recorder. `component` names the writer (a
  // controller) in each Event's labels.
  EventRecorder(client::Client& client, clock::Clock& clock, std::string component,
                RecorderOptions options = {});

  // Records `reason` (CamelCase, like FailedPlacement) and `message` about `object`. Returns
  // kResourceExhausted when the object's events are being rate-limited (nothing written), and
  // the client's error when the write failed.
  api::Status Record(const google::protobuf::Message& object, EventType type,
                     std::string_view reason, std::string_view message);

  int64_t dropped() const;  // rate-limited
  int64_t failed() const;   // writes that failed

 private:
  struct Seen {
    std::string event_name;
    int32_t count = 0;
    std::string first_timestamp;
    std::list<std::string>::iterator lru;
  };
  struct Bucket {
    double tokens = 0;
    clock::Clock::TimePoint updated{};
  };
  bool TakeToken(const std::string& object_key, clock::Clock::TimePoint now);

  client::Client& client_;
  clock::Clock& clock_;
  const std::string component_;
  const RecorderOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, Seen> seen_;       // by object, type, reason and message
  std::list<std::string> lru_;             // keys of seen_, most recent first
  std::map<std::string, Bucket> buckets_;  // by object
  uint64_t sequence_ = 0;
  int64_t dropped_ = 0;
  int64_t failed_ = 0;
};

}  // namespace gantry::controllers::runtime
