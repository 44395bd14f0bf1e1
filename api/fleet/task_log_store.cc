#include "api/fleet/task_log_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "api/fleet/private_dir.h"

namespace gantry::fleet {

namespace fs = std::filesystem;

bool SafePathComponent(const std::string& name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return false;
  }
  return true;
}

std::string TaskLogStore::PathOf(const std::string& task, const std::string& container,
                                 const std::string& stream) const {
  return dir_ + "/" + task + "/" + container + "." + stream + ".log";
}

api::Status TaskLogStore::Init() {
  std::lock_guard lock(mu_);
  if (auto st = EnsurePrivateDir(dir_); !st.ok()) return st;
  dir_ready_ = true;
  return {};
}

api::Status TaskLogStore::Append(const std::string& task, const std::string& container,
                                 const std::string& stream, int64_t offset, std::string_view data) {
  if (!SafePathComponent(task)) return api::InvalidArgument("task", "not a valid task id");
  if (!SafePathComponent(container))
    return api::InvalidArgument("container", "not a valid container name");
  if (stream != "stdout" && stream != "stderr")
    return api::InvalidArgument("stream", "must be stdout or stderr");
  if (offset < 0 || offset > (int64_t{1} << 50))
    return api::InvalidArgument("offset", "must be between 0 and 2^50");
  std::lock_guard lock(mu_);
  if (!dir_ready_) {
    if (auto st = EnsurePrivateDir(dir_); !st.ok()) return st;
    dir_ready_ = true;
  }
  const std::string task_dir = dir_ + "/" + task;
  if (::mkdir(task_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    // DIR itself may have gone (removed under a running gantryd): make it again next time.
    dir_ready_ = false;
    return api::Status(api::Code::kInternal,
                       "cannot create log dir " + task_dir + ": " + std::strerror(errno));
  }
  const std::string path = PathOf(task, container, stream);
  std::error_code ec;
  int64_t have = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) have = 0;
  // The agent's offset counts its own file; ours may have stopped at the cap. What we have up
  // to `have` is already here: skip it.
  if (offset + static_cast<int64_t>(data.size()) <= have) return {};
  if (offset > have && have < max_bytes_) {
    // A gap (our file was lost): keep what arrives rather than refuse it.
    offset = have;
  }
  std::string_view fresh = data.substr(static_cast<size_t>(std::max<int64_t>(0, have - offset)));
  if (have >= max_bytes_) return {};
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return api::Status(api::Code::kInternal, "cannot open " + path + ": " + std::strerror(errno));
  }
  auto write_all = [fd](std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  };
  bool written;
  int64_t room = max_bytes_ - have;
  if (static_cast<int64_t>(fresh.size()) > room) {
    static constexpr std::string_view kMarker =
        "\n[gantry: log over its size limit; rest dropped]\n";
    written = write_all(fresh.substr(0, static_cast<size_t>(room))) && write_all(kMarker);
  } else {
    written = write_all(fresh);
  }
  int error = errno;
  ::close(fd);
  if (!written) {
    return api::Status(api::Code::kInternal, "cannot write " + path + ": " + std::strerror(error));
  }
  return {};
}

std::vector<std::string> TaskLogStore::Containers(const std::string& task) const {
  std::set<std::string> names;
  if (!SafePathComponent(task)) return {};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ + "/" + task, ec)) {
    // <container>.<stream>.log, where the container name may hold dots itself (app.v2).
    std::string file = entry.path().filename().string();
    for (std::string_view suffix : {".stdout.log", ".stderr.log"}) {
      if (file.size() > suffix.size() && file.ends_with(suffix))
        names.insert(file.substr(0, file.size() - suffix.size()));
    }
  }
  return {names.begin(), names.end()};
}

api::StatusOr<std::string> TaskLogStore::Read(const std::string& task, const std::string& container,
                                              const std::string& stream, int64_t from,
                                              size_t max) const {
  if (!SafePathComponent(task) || !SafePathComponent(container) ||
      (stream != "stdout" && stream != "stderr")) {
    return api::InvalidArgument("task", "not a valid task, container or stream");
  }
  std::ifstream in(PathOf(task, container, stream), std::ios::binary);
  if (!in) return std::string();
  in.seekg(from);
  std::string out(max, '\0');
  in.read(out.data(), static_cast<std::streamsize>(max));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

void TaskLogStore::Remove(const std::string& task) {
  if (!SafePathComponent(task)) return;
  std::lock_guard lock(mu_);
  std::error_code ec;
  fs::remove_all(dir_ + "/" + task, ec);
}

}  // namespace gantry::fleet
