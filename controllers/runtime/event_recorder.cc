#include "controllers/runtime/event_recorder.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <utility>

#include "api/clock/format_time.h"
#include "api/schema/kinds.h"
#include "gantry/v1/meta.pb.h"
#include "gantry/v1/objects.pb.h"

namespace gantry::controllers::runtime {
namespace {

const char* TypeName(EventType type) { return type == EventType::kWarning ? "Warning" : "Normal"; }

// Kubernetes names an event after its object and the time: web.17c2a3f1e0d4b5a6. The sequence
// keeps two events of one instant apart (a fake clock stands still).
std::string EventName(std::string_view object_name, clock::Clock::TimePoint now,
                      uint64_t sequence) {
  char suffix[40];
  std::snprintf(suffix, sizeof suffix, ".%llx%llx",
                static_cast<unsigned long long>(now.time_since_epoch().count()),
                static_cast<unsigned long long>(sequence));
  std::string name(object_name.substr(0, 200));
  return name + suffix;
}

}  // namespace

EventRecorder::EventRecorder(client::Client& client, clock::Clock& clock, std::string component,
                             RecorderOptions options)
    : client_(client), clock_(clock), component_(std::move(component)), options_(options) {}

int64_t EventRecorder::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

int64_t EventRecorder::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

bool EventRecorder::TakeToken(const std::string& object_key, clock::Clock::TimePoint now) {
  auto [it, fresh] = buckets_.try_emplace(object_key);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = static_cast<double>(options_.burst);
  } else if (options_.refill.count() > 0) {
    const double earned = std::chrono::duration<double>(now - b.updated).count() /
                          std::chrono::duration<double>(options_.refill).count();
    b.tokens = std::min(static_cast<double>(options_.burst), b.tokens + std::max(0.0, earned));
  }
  b.updated = now;
  if (buckets_.size() > 2 * options_.remembered) {
    // Objects whose buckets have refilled need no entry: a fresh one starts full too.
    for (auto o = buckets_.begin(); o != buckets_.end();) {
      const double earned = std::chrono::duration<double>(now - o->second.updated).count() /
                            std::chrono::duration<double>(options_.refill).count();
      const bool full = o->second.tokens + earned >= static_cast<double>(options_.burst);
      o = (full && o->first != object_key) ? buckets_.erase(o) : std::next(o);
    }
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

api::Status EventRecorder::Record(const google::protobuf::Message& object, EventType type,
                                  std::string_view reason, std::string_view message) {
  const v1::ObjectMeta& meta = schema::MetaOf(object);
  const std::string kind = object.GetDescriptor()->name();
  const std::string object_key = kind + "/" + meta.name() + "/" + meta.uid();
  std::string key = object_key;
  key.append("\n").append(TypeName(type)).append("\n");
  key.append(reason).append("\n").append(message);
  const auto now = clock_.Now();
  const std::string stamp = clock::FormatTime(now);

  v1::Event event;
  event.set_api_version("gantry.dev/v1");
  event.set_kind("Event");
  {
    std::lock_guard lock(mu_);
    if (!TakeToken(object_key, now)) {
      ++dropped_;
      return api::Status(api::Code::kResourceExhausted,
                         "events about " + kind + " " + meta.name() + " are rate-limited");
    }
    auto it = seen_.find(key);
    if (it != seen_.end()) {
      lru_.erase(it->second.lru);
    } else {
      it = seen_.emplace(key, Seen{EventName(meta.name(), now, ++sequence_), 0, stamp, {}}).first;
    }
    lru_.push_front(key);
    it->second.lru = lru_.begin();
    it->second.count += 1;
    event.mutable_metadata()->set_name(it->second.event_name);
    event.mutable_spec()->set_count(it->second.count);
    event.mutable_spec()->set_first_timestamp(it->second.first_timestamp);
    while (seen_.size() > options_.remembered) {
      seen_.erase(lru_.back());
      lru_.pop_back();
    }
  }
  (*event.mutable_metadata()->mutable_labels())["gantry.dev/component"] = component_;
  auto* spec = event.mutable_spec();
  spec->mutable_involved_object()->set_kind(kind);
  spec->mutable_involved_object()->set_name(meta.name());
  spec->mutable_involved_object()->set_uid(meta.uid());
  spec->set_type(TypeName(type));
  spec->set_reason(std::string(reason));
  spec->set_message(std::string(message));
  spec->set_last_timestamp(stamp);
  // Apply creates the Event the first time and raises its count after; an Event collected by
  // retention meanwhile is simply created again with the count so far.
  auto applied = client_.Apply(event);
  if (!applied.ok()) {
    std::lock_guard lock(mu_);
    ++failed_;
    return applied.status();
  }
  return {};
}

}  // namespace gantry::controllers::runtime
