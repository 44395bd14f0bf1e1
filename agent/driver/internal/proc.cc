#include "agent/driver/internal/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>

namespace gantry::agent::internal {

std::optional<std::string> ReadSmallFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

std::optional<ProcStat> ReadProcStat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto text = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  return ParseProcStat(*text);
}

std::optional<ArgumentArea> OwnArgumentArea() {
  auto text = ReadSmallFile("/proc/self/stat");
  if (!text) return std::nullopt;
  const size_t close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  // Field 3 (state) is the first after the name; arg_start and arg_end are fields 48 and 49.
  std::istringstream fields(text->substr(close + 1));
  std::string field;
  uintptr_t start = 0, end = 0;
  for (int n = 3; fields >> field; ++n) {
    if (n == 48) start = std::strtoull(field.c_str(), nullptr, 10);
    if (n == 49) {
      end = std::strtoull(field.c_str(), nullptr, 10);
      break;
    }
  }
  if (start == 0 || end <= start) return std::nullopt;
  return ArgumentArea{reinterpret_cast<char*>(start), static_cast<size_t>(end - start)};
}

std::string ReadBootId() {
  auto text = ReadSmallFile("/proc/sys/kernel/random/boot_id");
  if (!text) return "";
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return *text;
}

std::vector<pid_t> SessionMembers(pid_t session) {
  std::vector<pid_t> members;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir("/proc"), closedir);
  if (!dir) return members;
  while (dirent* entry = readdir(dir.get())) {
    pid_t pid = 0;
    const char* name = entry->d_name;
    auto [end, ec] = std::from_chars(name, name + std::strlen(name), pid);
    if (ec != std::errc() || *end != '\0') continue;
    auto stat = ReadProcStat(pid);
    if (stat && stat->session == session && stat->state != 'Z' && stat->state != 'X') {
      members.push_back(pid);
    }
  }
  return members;
}

std::string ErrnoText(int error) {
  char buffer[256];
  // GNU strerror_r: returns the text, which may or may not be in buffer.
  return strerror_r(error, buffer, sizeof buffer);
}

const std::vector<const char*>& ErrnoTexts() {
  struct Table {
    Table() {
      for (int e = 0; e < 256; ++e) storage.push_back(ErrnoText(e));
      for (const std::string& s : storage) pointers.push_back(s.c_str());  // storage is final
    }
    std::vector<std::string> storage;
    std::vector<const char*> pointers;
  };
  static const Table table;
  return table.pointers;
}

}  // namespace gantry::agent::internal
