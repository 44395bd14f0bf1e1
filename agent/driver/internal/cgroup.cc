#include "agent/driver/internal/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>

namespace gantry::agent::internal {
namespace {

using api::Code;
using api::Status;

constexpr long kCgroup2SuperMagic = 0x63677270;

std::string ErrorText(int error) {
  char buffer[256];
  return strerror_r(error, buffer, sizeof buffer);
}

Status WriteControl(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status(Code::kUnavailable, "open " + path + ": " + ErrorText(errno));
  }
  ssize_t n = write(fd, value.data(), value.size());
  int error = errno;
  close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return Status(Code::kUnavailable,
                  "write \"" + value + "\" to " + path + ": " + ErrorText(n < 0 ? error : EIO));
  }
  return Status();
}

std::string ReadControl(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buffer[4096];
  ssize_t n = read(fd, buffer, sizeof buffer);
  close(fd);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
}

bool HasWord(const std::string& words, const std::string& word) {
  std::istringstream in(words);
  std::string w;
  while (in >> w) {
    if (w == word) return true;
  }
  return false;
}

// Enables `controller` for the children of `dir` unless it already is.
Status Enable(const std::string& dir, const std::string& controller) {
  if (HasWord(ReadControl(dir + "/cgroup.subtree_control"), controller)) return Status();
  if (!HasWord(ReadControl(dir + "/cgroup.controllers"), controller)) {
    return Status(Code::kUnavailable, "controller " + controller + " is not available in " + dir);
  }
  return WriteControl(dir + "/cgroup.subtree_control", "+" + controller);
}

}  // namespace

int CpuWeight(int64_t cpu_units) {
  if (cpu_units <= 0) return 100;
  int64_t weight = (cpu_units * 100 + 512) / 1024;
  return static_cast<int>(std::clamp<int64_t>(weight, 1, 10000));
}

api::StatusOr<Cgroup> CreateCgroup(const std::string& root, const std::string& leaf,
                                   int64_t memory_mib, int64_t cpu_units) {
  struct statfs fs {};
  if (statfs(root.c_str(), &fs) != 0) {
    return Status(Code::kUnavailable, "statfs " + root + ": " + ErrorText(errno));
  }
  if (static_cast<long>(fs.f_type) != kCgroup2SuperMagic) {
    return Status(Code::kUnavailable, root + " is not a cgroup2 mount");
  }
  const bool want_memory = memory_mib > 0;
  const bool want_cpu = cpu_units > 0;
  if (want_memory && !HasWord(ReadControl(root + "/cgroup.controllers"), "memory")) {
    return Status(Code::kUnavailable, "controller memory is not available in " + root);
  }

  const std::string parent = root + "/gantry";
  if (want_memory) {
    if (Status s = Enable(root, "memory"); !s.ok()) return s;
  }
  if (want_cpu) (void)Enable(root, "cpu");
  if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status(Code::kUnavailable, "mkdir " + parent + ": " + ErrorText(errno));
  }
  if (want_memory) {
    if (Status s = Enable(parent, "memory"); !s.ok()) return s;
  }
  if (want_cpu) (void)Enable(parent, "cpu");

  Cgroup cgroup;
  cgroup.dir = parent + "/" + leaf;
  if (mkdir(cgroup.dir.c_str(), 0755) != 0) {
    // A leftover of an earlier run of the same name: replace it if it is empty.
    if (errno != EEXIST || rmdir(cgroup.dir.c_str()) != 0 || mkdir(cgroup.dir.c_str(), 0755) != 0) {
      return Status(Code::kUnavailable, "mkdir " + cgroup.dir + ": " + ErrorText(errno));
    }
  }
  if (want_memory) {
    Status s = WriteControl(cgroup.dir + "/memory.max", std::to_string(memory_mib * 1024 * 1024));
    if (!s.ok()) {
      RemoveCgroup(cgroup.dir);
      return s;
    }
    // Without this the limit only moves the excess to swap.
    (void)WriteControl(cgroup.dir + "/memory.swap.max", "0");
  }
  if (want_cpu && access((cgroup.dir + "/cpu.weight").c_str(), W_OK) == 0) {
    cgroup.cpu_weight_set =
        WriteControl(cgroup.dir + "/cpu.weight", std::to_string(CpuWeight(cpu_units))).ok();
  }
  return cgroup;
}

void RemoveCgroup(const std::string& dir) {
  if (!dir.empty()) rmdir(dir.c_str());
}

}  // namespace gantry::agent::internal
