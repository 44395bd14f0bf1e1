#include "api/client/connection.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gantry::client {
namespace {

using api::Code;
using api::Status;

std::string OpenSslError(const std::string& what) {
  std::string text = what;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    text += std::string(": ") + buf;
  }
  return text;
}

// Waits until `fd` is readable; false on timeout (error set).
bool WaitReadable(int fd, std::chrono::milliseconds timeout, std::string& error) {
  pollfd p{fd, POLLIN, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) {
    error = "timed out waiting for the server";
    return false;
  }
  if (rc < 0) {
    error = std::strerror(errno);
    return false;
  }
  return true;
}

api::StatusOr<int> ConnectTcp(const Endpoint& ep, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(ep.port);
  int rc = getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0)
    return Status(Code::kUnavailable, "cannot resolve " + ep.host + ": " + gai_strerror(rc));
  std::string last_error = "no address";
  for (addrinfo* a = res; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // Bounds sends, and TLS reads that wait for the rest of a record.
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
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

class PlainConnection : public Connection {
 public:
  explicit PlainConnection(int fd) : fd_(fd) {}
  ~PlainConnection() override { ::close(fd_); }

  api::Status SendAll(const std::string& data) override {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        return Status(Code::kUnavailable, std::string("send failed: ") + std::strerror(errno));
      sent += static_cast<size_t>(n);
    }
    return {};
  }

  long Receive(char* buffer, size_t size, std::chrono::milliseconds timeout,
               std::string& error) override {
    if (!WaitReadable(fd_, timeout, error)) return -1;
    ssize_t n;
    do {
      n = ::recv(fd_, buffer, size, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) error = std::strerror(errno);
    return n;
  }

 private:
  int fd_;
};

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

class TlsConnection : public Connection {
 public:
  TlsConnection(int fd, std::unique_ptr<SSL_CTX, SslCtxFree> ctx, std::unique_ptr<SSL, SslFree> ssl)
      : fd_(fd), ctx_(std::move(ctx)), ssl_(std::move(ssl)) {}
  ~TlsConnection() override {
    ssl_.reset();
    ::close(fd_);
  }

  api::Status SendAll(const std::string& data) override {
    size_t sent = 0;
    while (sent < data.size()) {
      size_t n = 0;
      ERR_clear_error();
      if (SSL_write_ex(ssl_.get(), data.data() + sent, data.size() - sent, &n) != 1) {
        return Status(Code::kUnavailable, OpenSslError("send failed (TLS)"));
      }
      sent += n;
    }
    return {};
  }

  long Receive(char* buffer, size_t size, std::chrono::milliseconds timeout,
               std::string& error) override {
    if (SSL_pending(ssl_.get()) == 0 && !WaitReadable(fd_, timeout, error)) return -1;
    size_t n = 0;
    ERR_clear_error();
    if (SSL_read_ex(ssl_.get(), buffer, size, &n) == 1) return static_cast<long>(n);
    int reason = SSL_get_error(ssl_.get(), 0);
    if (reason == SSL_ERROR_ZERO_RETURN) return 0;
    // A peer that closes without close_notify: the end of an HTTP/1.1 "Connection: close"
    // response is framed by its length, so this only matters for bodies read to the end.
    if (reason == SSL_ERROR_SYSCALL && errno == 0) return 0;
    error = OpenSslError("TLS read failed");
    return -1;
  }

 private:
  int fd_;
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
  std::unique_ptr<SSL, SslFree> ssl_;
};

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

api::StatusOr<std::unique_ptr<Connection>> OpenTls(const Endpoint& ep, int fd) {
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  auto fail = [&](const std::string& what) {
    ::close(fd);
    return Status(Code::kUnavailable, OpenSslError(what));
  };
  if (!ctx) return fail("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!ep.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), ep.ca_file.c_str(), nullptr) != 1)
      return fail("cannot read the certificate authority " + ep.ca_file);
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return fail("cannot read the system's trusted certificates");
  }
  if (!ep.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), ep.cert_file.c_str()) != 1)
      return fail("cannot read the client certificate " + ep.cert_file);
    const std::string& key = ep.key_file.empty() ? ep.cert_file : ep.key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1)
      return fail("cannot read the client key " + key);
  }
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl) return fail("cannot create a TLS session");
  SSL_set_fd(ssl.get(), fd);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  if (IsIpLiteral(ep.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, ep.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl.get(), ep.host.c_str());
    X509_VERIFY_PARAM_set1_host(param, ep.host.c_str(), 0);
  }
  ERR_clear_error();
  if (SSL_connect(ssl.get()) != 1) {
    long verify = SSL_get_verify_result(ssl.get());
    std::string what = "TLS handshake with " + ep.host + ":" + std::to_string(ep.port) + " failed";
    if (verify != X509_V_OK) {
      what += ": server certificate: ";
      what += X509_verify_cert_error_string(verify);
      ERR_clear_error();
    }
    ssl.reset();
    return fail(what);
  }
  return std::unique_ptr<Connection>(new TlsConnection(fd, std::move(ctx), std::move(ssl)));
}

}  // namespace

api::StatusOr<std::unique_ptr<Connection>> Connection::Open(const Endpoint& endpoint,
                                                            std::chrono::milliseconds timeout) {
  auto fd = ConnectTcp(endpoint, timeout);
  if (!fd.ok()) return fd.status();
  if (endpoint.tls) return OpenTls(endpoint, *fd);
  return std::unique_ptr<Connection>(new PlainConnection(*fd));
}

}  // namespace gantry::client
