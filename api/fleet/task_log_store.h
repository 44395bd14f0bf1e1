#pragma once

// Task output as agents ship it: one file per task, container and stream under
// DIR/<task>/<container>.<stream>.log. Agents send chunks with the offset they start at, so a
// chunk sent twice (a retry, an agent restart) is written once. Each file is capped; output past
// the cap is dropped with a marker line, so a chatty task cannot fill gantryd's disk. Task output
// may hold secrets: DIR and the task directories are 0700, the files 0600.

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "api/status/status.h"

namespace gantry::fleet {

class TaskLogStore {
 public:
  explicit TaskLogStore(std::string dir, int64_t max_bytes_per_file = 8 << 20)
      : dir_(std::move(dir)), max_bytes_(max_bytes_per_file) {}

  // Creates DIR (0700; a wider mode is tightened). Append does it too when DIR is missing; call
  // it at start to fail early.
  api::Status Init();
  api::Status Append(const std::string& task, const std::string& container,
                     const std::string& stream, int64_t offset, std::string_view data);
  // The containers with output, for a task ("app", "sidecar", "app.v2").
  std::vector<std::string> Containers(const std::string& task) const;
  // Bytes of one stream from `from` on (at most `max` bytes); empty when nothing new.
  api::StatusOr<std::string> Read(const std::string& task, const std::string& container,
                                  const std::string& stream, int64_t from, size_t max) const;
  void Remove(const std::string& task);

 private:
  std::string PathOf(const std::string& task, const std::string& container,
                     const std::string& stream) const;

  const std::string dir_;
  const int64_t max_bytes_;
  mutable std::mutex mu_;
  bool dir_ready_ = false;  // guarded by mu_
};

// Names that are safe as one path component (ids, container names): [A-Za-z0-9_.-], not "." or
// "..".
bool SafePathComponent(const std::string& name);

}  // namespace gantry::fleet
