#include "cli/fleet/internal/http_exchange.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace gantry::cli::fleet_internal {
namespace {

using api::Code;
using api::Status;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

api::StatusOr<int> Connect(const client::Endpoint& ep, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(ep.port);
  if (int rc = getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return Status(Code::kUnavailable, "cannot resolve " + ep.host + ": " + gai_strerror(rc));
  std::string last_error = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    // On Linux the send timeout also bounds connect().
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      freeaddrinfo(res);
      return fd;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(res);
  return Status(Code::kUnavailable,
                "cannot connect to " + ep.host + ":" + port + ": " + last_error);
}

Status SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return Status(Code::kUnavailable, std::string("send failed: ") + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
  return {};
}

// Buffered reads, each waiting at most `idle` for data.
class Reader {
 public:
  Reader(int fd, std::chrono::milliseconds idle) : fd_(fd), idle_(idle) {}

  // Reads more into the buffer; false on end of stream, timeout or error (error() says which).
  bool Fill() {
    pollfd p{fd_, POLLIN, 0};
    int rc;
    do {
      rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(idle_.count(), 0x7fffffff)));
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
      error_ = "timed out waiting for the server";
      return false;
    }
    char buf[16384];
    ssize_t n;
    do {
      n = ::recv(fd_, buf, sizeof buf, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      if (n < 0) error_ = std::strerror(errno);
      return false;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }

  bool ReadLine(std::string& line) {
    while (true) {
      if (size_t nl = buffer_.find("\r\n"); nl != std::string::npos) {
        line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 2);
        return true;
      }
      if (!Fill()) return false;
    }
  }

  // Hands over up to `n` bytes (all that are buffered, reading once if none are); false at the
  // end of the stream.
  bool ReadSome(size_t n, std::string& out) {
    if (buffer_.empty() && !Fill()) return false;
    size_t k = std::min(n, buffer_.size());
    out.assign(buffer_, 0, k);
    buffer_.erase(0, k);
    return true;
  }

  std::string Why(const std::string& what) const {
    return error_.empty() ? what : what + ": " + error_;
  }

 private:
  int fd_;
  std::chrono::milliseconds idle_;
  std::string buffer_;
  std::string error_;
};

Status ReadHead(Reader& r, client::HttpResult& out) {
  std::string line;
  if (!r.ReadLine(line)) return Status(Code::kUnavailable, r.Why("no response from the server"));
  size_t sp = line.find(' ');
  if (sp == std::string::npos || !line.starts_with("HTTP/"))
    return Status(Code::kUnavailable, "not an HTTP response: " + line.substr(0, 80));
  out.status = std::atoi(line.c_str() + sp + 1);
  while (r.ReadLine(line) && !line.empty()) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t v = line.find_first_not_of(' ', colon + 1);
    out.headers[name] = v == std::string::npos ? "" : line.substr(v);
  }
  return {};
}

// Passes the body to `sink` as it arrives; stops early when sink returns false.
Status ReadBody(Reader& r, const client::HttpResult& head,
                const std::function<bool(std::string_view)>& sink) {
  std::string piece;
  auto te = head.headers.find("transfer-encoding");
  if (te != head.headers.end() && te->second.find("chunked") != std::string::npos) {
    std::string line;
    while (true) {
      if (!r.ReadLine(line))
        return Status(Code::kUnavailable, r.Why("connection closed in a chunked body"));
      size_t left = std::strtoul(line.c_str(), nullptr, 16);
      if (left == 0) return {};
      while (left > 0) {
        if (!r.ReadSome(left, piece))
          return Status(Code::kUnavailable, r.Why("connection closed in a chunk"));
        left -= piece.size();
        if (!sink(piece)) return {};
      }
      if (!r.ReadLine(line))
        return Status(Code::kUnavailable, r.Why("connection closed after a chunk"));
    }
  }
  if (auto cl = head.headers.find("content-length"); cl != head.headers.end()) {
    size_t left = std::strtoull(cl->second.c_str(), nullptr, 10);
    while (left > 0) {
      if (!r.ReadSome(left, piece))
        return Status(Code::kUnavailable, r.Why("connection closed before the body was complete"));
      left -= piece.size();
      if (!sink(piece)) return {};
    }
    return {};
  }
  while (r.ReadSome(static_cast<size_t>(-1), piece)) {
    if (!sink(piece)) return {};
  }
  return {};
}

std::string RequestText(const client::Endpoint& ep, const std::string& token,
                        const HttpRequestSpec& req) {
  std::string text = req.method + " " + ep.path_prefix + req.path_and_query +
                     " HTTP/1.1\r\nHost: " + ep.host + ":" + std::to_string(ep.port) +
                     "\r\nConnection: close\r\nAccept: " + req.accept + "\r\n";
  for (const auto& [name, value] : req.headers) text += name + ": " + value + "\r\n";
  if (!token.empty()) text += "Authorization: Bearer " + token + "\r\n";
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    text += "Content-Type: " + req.content_type +
            "\r\nContent-Length: " + std::to_string(req.body.size()) + "\r\n";
  }
  text += "\r\n";
  text += req.body;
  return text;
}

}  // namespace

api::StatusOr<client::HttpResult> Exchange(const client::Endpoint& endpoint,
                                           const std::string& bearer_token,
                                           const HttpRequestSpec& request, HttpTimeouts timeouts,
                                           const std::function<bool(std::string_view)>& on_body) {
  auto fd = Connect(endpoint, timeouts.connect);
  if (!fd.ok()) return fd.status();
  Socket socket(*fd);
  if (auto st = SendAll(socket.fd(), RequestText(endpoint, bearer_token, request)); !st.ok())
    return st;
  Reader reader(socket.fd(), timeouts.idle);
  client::HttpResult out;
  if (auto st = ReadHead(reader, out); !st.ok()) return st;
  const bool stream = on_body && out.status >= 200 && out.status < 300;
  auto st = ReadBody(reader, out, [&](std::string_view piece) {
    if (stream) return on_body(piece);
    out.body.append(piece);
    return true;
  });
  if (!st.ok()) return st;
  return out;
}

}  // namespace gantry::cli::fleet_internal
