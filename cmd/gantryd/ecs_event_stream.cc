#include "cmd/gantryd/ecs_event_stream.h"

#include <cstdlib>

#include "api/ecs/ecs_events.h"

namespace gantry {
namespace {

// One cursor per kind; gantryd before the events controller kept one for both, which still
// serves as each kind's starting point.
constexpr const char* kCursorPrefix = "/gantry/event-stream/cursor/";
constexpr const char* kSharedCursorKey = "/gantry/event-stream/cursor";

api::StatusOr<int64_t> ReadCursor(store::Store& store, const std::string& key, bool& found) {
  auto got = store.Get(key);
  if (!got.ok()) {
    found = false;
    if (got.code() == store::Code::kNotFound) return int64_t{0};
    return api::Status(api::Code::kUnavailable, "event stream cursor: " + got.error().message);
  }
  found = true;
  char* end = nullptr;
  const long long revision = std::strtoll(got->value.c_str(), &end, 10);
  if (end == got->value.c_str() || *end != '\0' || revision < 0) {
    return api::Status(api::Code::kInternal, "event stream cursor " + key + " holds '" +
                                                 got->value + "', not a revision");
  }
  return static_cast<int64_t>(revision);
}

}  // namespace

std::unique_ptr<v1::Event> EcsChangeRenderer::Render(const google::protobuf::Message& object,
                                                     const v1::ContainerInstance* instance) const {
  return ecs::EcsEventFor(object, instance, names_, clock_.Now());
}

api::StatusOr<int64_t> StoreEventCursors::Load(const std::string& kind) {
  bool found = false;
  auto own = ReadCursor(store_, kCursorPrefix + kind, found);
  if (!own.ok() || found) return own;
  return ReadCursor(store_, kSharedCursorKey, found);
}

api::Status StoreEventCursors::Save(const std::string& kind, int64_t revision) {
  const std::string key = kCursorPrefix + kind;
  const std::string value = std::to_string(revision);
  auto current = store_.Get(key);
  auto written =
      current.ok() ? store_.Update(key, value, current->mod_revision) : store_.Create(key, value);
  if (!written.ok()) {
    return api::Status(api::Code::kUnavailable, "event stream cursor: " + written.error().message);
  }
  return {};
}

}  // namespace gantry
