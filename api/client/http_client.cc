#include "api/client/http_client.h"

#include <cstring>

#include "api/client/connection.h"

namespace gantry::client {
namespace {

using api::Code;
using api::Status;

// Buffered reads with a per-read timeout.
class Reader {
 public:
  Reader(Connection& connection, std::chrono::milliseconds timeout)
      : connection_(connection), timeout_(timeout) {}

  // Reads more into the buffer; false on EOF, timeout or error (error() says which).
  bool Fill() {
    char buf[16384];
    long n = connection_.Receive(buf, sizeof buf, timeout_, error_);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }

  bool ReadLine(std::string& line) {
    while (true) {
      size_t nl = buffer_.find("\r\n");
      if (nl != std::string::npos) {
        line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 2);
        return true;
      }
      if (!Fill()) return false;
    }
  }

  bool ReadExactly(size_t n, std::string& out) {
    while (buffer_.size() < n)
      if (!Fill()) return false;
    out.append(buffer_, 0, n);
    buffer_.erase(0, n);
    return true;
  }

  void ReadToEnd(std::string& out) {
    while (Fill()) {
    }
    out += buffer_;
    buffer_.clear();
  }

  const std::string& error() const { return error_; }
  std::string& buffer() { return buffer_; }

 private:
  Connection& connection_;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
  std::string error_;
};

api::Status ReadHead(Reader& r, HttpResult& out) {
  std::string line;
  if (!r.ReadLine(line)) {
    return Status(Code::kUnavailable,
                  "no response from the server" + (r.error().empty() ? "" : ": " + r.error()));
  }
  // HTTP/1.1 200 OK
  size_t sp = line.find(' ');
  if (sp == std::string::npos || line.rfind("HTTP/", 0) != 0) {
    return Status(Code::kUnavailable, "not an HTTP response: " + line.substr(0, 80));
  }
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

// Calls on_chunk for each piece of a chunked or length-delimited body, or until close.
api::Status ReadBody(Reader& r, const HttpResult& head,
                     const std::function<bool(const std::string&)>& on_chunk) {
  auto te = head.headers.find("transfer-encoding");
  if (te != head.headers.end() && te->second.find("chunked") != std::string::npos) {
    std::string line, chunk;
    while (true) {
      if (!r.ReadLine(line))
        return Status(Code::kUnavailable, "connection closed in a chunked body" +
                                              (r.error().empty() ? "" : ": " + r.error()));
      size_t size = std::strtoul(line.c_str(), nullptr, 16);
      if (size == 0) return {};
      chunk.clear();
      if (!r.ReadExactly(size + 2, chunk))
        return Status(Code::kUnavailable, "connection closed in a chunk");
      chunk.resize(size);
      if (!on_chunk(chunk)) return {};
    }
  }
  auto cl = head.headers.find("content-length");
  if (cl != head.headers.end()) {
    std::string body;
    if (!r.ReadExactly(std::strtoull(cl->second.c_str(), nullptr, 10), body)) {
      return Status(Code::kUnavailable, "connection closed before the body was complete");
    }
    on_chunk(body);
    return {};
  }
  std::string rest;
  r.ReadToEnd(rest);
  on_chunk(rest);
  return {};
}

std::string RequestText(const Endpoint& ep, const std::string& token, const std::string& method,
                        const std::string& path, const std::string& body,
                        const std::string& content_type,
                        const std::map<std::string, std::string>& headers = {}) {
  std::string req = method + " " + ep.path_prefix + path + " HTTP/1.1\r\nHost: " + ep.host + ":" +
                    std::to_string(ep.port) +
                    "\r\nConnection: close\r\nAccept: application/json\r\n";
  if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
  for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
  if (!body.empty() || method == "PUT" || method == "POST" || method == "PATCH") {
    req += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
  }
  req += "\r\n";
  req += body;
  return req;
}

}  // namespace

api::StatusOr<Endpoint> ParseUrl(const std::string& url) {
  Endpoint ep;
  std::string rest = url;
  if (rest.rfind("https://", 0) == 0) {
    ep.tls = true;
    rest = rest.substr(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
  } else if (rest.find("://") != std::string::npos) {
    return Status(Code::kInvalidArgument, "server URL " + url + ": only http:// and https://");
  }
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos) ep.path_prefix = rest.substr(slash);
  while (!ep.path_prefix.empty() && ep.path_prefix.back() == '/') ep.path_prefix.pop_back();
  size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    ep.host = hostport.substr(0, colon);
    try {
      ep.port = std::stoi(hostport.substr(colon + 1));
    } catch (...) {
      return Status(Code::kInvalidArgument, "bad port in server URL " + url);
    }
  } else {
    ep.host = hostport;
    ep.port = ep.tls ? 443 : 80;
  }
  if (ep.host.empty() || ep.port <= 0 || ep.port > 65535)
    return Status(Code::kInvalidArgument, "bad server URL " + url);
  return ep;
}

api::StatusOr<HttpResult> HttpClient::Request(const std::string& method, const std::string& path,
                                              const std::string& body,
                                              const std::string& content_type) const {
  return RequestWithHeaders(method, path, body, content_type, {});
}

api::StatusOr<HttpResult> HttpClient::RequestWithHeaders(
    const std::string& method, const std::string& path, const std::string& body,
    const std::string& content_type, const std::map<std::string, std::string>& headers) const {
  return Exchange(method, path, body, content_type, headers, nullptr, timeout_);
}

api::StatusOr<HttpResult> HttpClient::Exchange(const std::string& method, const std::string& path,
                                               const std::string& body,
                                               const std::string& content_type,
                                               const std::map<std::string, std::string>& headers,
                                               const std::function<bool(std::string_view)>& on_body,
                                               std::chrono::milliseconds idle_timeout) const {
  auto connection = Connection::Open(endpoint_, timeout_);
  if (!connection.ok()) return connection.status();
  Status sent =
      (*connection)
          ->SendAll(RequestText(endpoint_, token_, method, path, body, content_type, headers));
  Reader reader(**connection, idle_timeout.count() > 0 ? idle_timeout : timeout_);
  HttpResult out;
  if (auto st = ReadHead(reader, out); !st.ok()) {
    // A server may answer before the whole body is sent (413) and stop reading; its answer
    // is what the caller needs, the send error only when there is none.
    return sent.ok() ? st : sent;
  }
  const bool stream = on_body && out.status >= 200 && out.status < 300;
  auto st = ReadBody(reader, out, [&](const std::string& chunk) {
    if (stream) return on_body(chunk);
    out.body += chunk;
    return true;
  });
  if (!st.ok()) return st;
  return out;
}

api::StatusOr<int> HttpClient::Stream(const std::string& path,
                                      const std::function<bool(const std::string&)>& on_line,
                                      std::chrono::milliseconds idle_timeout) const {
  auto connection = Connection::Open(endpoint_, timeout_);
  if (!connection.ok()) return connection.status();
  if (auto st = (*connection)->SendAll(RequestText(endpoint_, token_, "GET", path, "", ""));
      !st.ok())
    return st;
  Reader reader(**connection, idle_timeout);
  HttpResult head;
  if (auto st = ReadHead(reader, head); !st.ok()) return st;
  if (head.status != 200) {
    std::string body;
    (void)ReadBody(reader, head, [&](const std::string& c) {
      body += c;
      return true;
    });
    on_line(body);
    return head.status;
  }
  std::string pending;
  bool keep_going = true;
  auto st = ReadBody(reader, head, [&](const std::string& chunk) {
    pending += chunk;
    size_t nl;
    while (keep_going && (nl = pending.find('\n')) != std::string::npos) {
      keep_going = on_line(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
    return keep_going;
  });
  if (!st.ok() && keep_going) return st;
  return head.status;
}

}  // namespace gantry::client
