#include "api/fleet/private_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace gantry::fleet {

api::Status EnsurePrivateDir(const std::string& path) {
  namespace fs = std::filesystem;
  auto fail = [&](const std::string& what) {
    return api::Status(api::Code::kFailedPrecondition, path + ": " + what);
  };
  std::error_code ec;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec) return fail("cannot create its parent: " + ec.message());
  }
  // Created 0700 from the start, so there is no moment at which it is open to others.
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return fail(std::string("cannot create: ") + std::strerror(errno));
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return fail(std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return fail("exists and is not a directory");
  if ((st.st_mode & 07777) != 0700 && ::chmod(path.c_str(), 0700) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return fail(std::string("has mode ") + mode +
                " and cannot be made private (0700): " + std::strerror(errno));
  }
  return {};
}

}  // namespace gantry::fleet
