#include "agent/token_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace gantry::agent {
namespace {

using api::Code;
using api::Status;

constexpr size_t kMaxTokenSize = 4096;

std::string Octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// One trailing newline (or CRLF) goes; what is left must be a non-empty run of visible ASCII.
api::StatusOr<std::string> OneLineToken(std::string text, const std::string& what) {
  if (text.ends_with("\r\n")) {
    text.resize(text.size() - 2);
  } else if (text.ends_with("\n")) {
    text.pop_back();
  }
  if (text.empty()) return Status(Code::kFailedPrecondition, what + " is empty");
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c <= 0x20 || c >= 0x7f) {
      return Status(Code::kFailedPrecondition,
                    what +
                        " must hold one token on one line (a space, tab, line break or "
                        "non-ASCII byte at position " +
                        std::to_string(i + 1) + ")");
    }
  }
  return text;
}

}  // namespace

api::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  const std::string what = "--token-file " + path;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return Status(Code::kFailedPrecondition, what + ": " + std::strerror(errno));
  }
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  // Checked on the open file, so the file checked is the file read.
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return Status(Code::kFailedPrecondition, what + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status(Code::kFailedPrecondition, what + ": not a regular file");
  }
  if (st.st_uid != geteuid()) {
    return Status(Code::kFailedPrecondition, what + ": owned by uid " + std::to_string(st.st_uid) +
                                                 ", not by the agent's user (uid " +
                                                 std::to_string(geteuid()) +
                                                 "); chown it to that user");
  }
  if ((st.st_mode & 077) != 0) {
    return Status(Code::kFailedPrecondition,
                  what + ": mode " + Octal(st.st_mode) +
                      " lets other users read or change the token; chmod 600 it");
  }
  if (st.st_size > static_cast<off_t>(kMaxTokenSize)) {
    return Status(Code::kFailedPrecondition,
                  what + ": longer than " + std::to_string(kMaxTokenSize) + " bytes");
  }
  std::string text;
  char buffer[1024];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status(Code::kFailedPrecondition, what + ": " + std::strerror(errno));
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxTokenSize) {
      return Status(Code::kFailedPrecondition,
                    what + ": longer than " + std::to_string(kMaxTokenSize) + " bytes");
    }
  }
  return OneLineToken(std::move(text), what);
}

api::StatusOr<std::optional<std::string>> LoadAgentToken(const std::string& token_file,
                                                         const char* env) {
  if (!token_file.empty()) {
    auto token = ReadTokenFile(token_file);
    if (!token.ok()) return token.status();
    return std::optional<std::string>(std::move(*token));
  }
  if (env != nullptr) {
    auto token = OneLineToken(env, "GANTRY_TOKEN");
    if (!token.ok()) return token.status();
    return std::optional<std::string>(std::move(*token));
  }
  return std::optional<std::string>();
}

}  // namespace gantry::agent
