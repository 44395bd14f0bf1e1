#include "api/fleet/task_log_reader.h"

namespace gantry::fleet {

TaskLogReader::Poll TaskLogReader::Next(std::string& out) {
  constexpr size_t kChunk = 64 << 10;
  bool any = false;
  std::vector<std::string> containers =
      container_.empty() ? store_.Containers(task_) : std::vector<std::string>{container_};
  for (const auto& c : containers) {
    for (const char* stream : {"stdout", "stderr"}) {
      auto& offset = offsets_[c + "." + stream];
      auto data = store_.Read(task_, c, stream, offset, kChunk);
      if (!data.ok() || data->empty()) continue;
      offset += static_cast<int64_t>(data->size());
      out += *data;
      any = true;
    }
  }
  if (any) {
    silent_polls_ = 0;
    return Poll::kData;
  }
  if (!follow_ || ++silent_polls_ > kMaxSilentPolls) return Poll::kEnd;
  TaskPtr task = fleet_.Task(task_);
  if (!task) return Poll::kEnd;
  // Stopped: the agent ships the last output within a second; wait a few idle polls for it.
  if (task->status().last_status() == "STOPPED" && ++idle_after_stop_ > 10) return Poll::kEnd;
  return Poll::kIdle;
}

}  // namespace gantry::fleet
