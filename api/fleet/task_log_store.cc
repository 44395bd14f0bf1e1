#include "api/fleet/task_log_store.h"

#include <filesystem>
#include <fstream>
#include <set>

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
  std::error_code ec;
  fs::create_directories(dir_ + "/" + task, ec);
  if (ec) return api::Status(api::Code::kInternal, "cannot create log dir: " + ec.message());
  const std::string path = PathOf(task, container, stream);
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
  std::ofstream out(path, std::ios::app | std::ios::binary);
  if (!out) return api::Status(api::Code::kInternal, "cannot open " + path);
  int64_t room = max_bytes_ - have;
  if (static_cast<int64_t>(fresh.size()) > room) {
    out.write(fresh.data(), room);
    static constexpr std::string_view kMarker =
        "\n[gantry: log over its size limit; rest dropped]\n";
    out.write(kMarker.data(), kMarker.size());
  } else {
    out.write(fresh.data(), static_cast<std::streamsize>(fresh.size()));
  }
  return {};
}

std::vector<std::string> TaskLogStore::Containers(const std::string& task) const {
  std::set<std::string> names;
  if (!SafePathComponent(task)) return {};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ + "/" + task, ec)) {
    std::string file = entry.path().filename().string();
    size_t dot = file.find('.');
    if (dot != std::string::npos) names.insert(file.substr(0, dot));
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
