// Load generator for `make bench`: the same durable 1 KiB writes against gantryd's REST apply
// and against etcd's v3 JSON gateway, watch delivery delay, and memory with many objects.
//
//   api_load write gantry|etcd HOST:PORT CLIENTS SECONDS   -> writes/s, p50/p99 latency
//   api_load watch HOST:PORT WATCHERS WRITES               -> commit-to-delivery p50/p99
//   api_load fill HOST:PORT OBJECTS CLIENTS                -> objects written
//   api_load runtask HOST:PORT CLIENTS SECONDS CLUSTER TASKDEF -> ECS RunTask calls/s, p50/p99
//
// Both write targets get identical bytes: a Service manifest padded to 1 KiB. Every client opens
// one connection per request (the same for both), waits for the reply, and repeats.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/client/http_client.h"

namespace {

using Clock = std::chrono::steady_clock;
using gantry::client::Endpoint;
using gantry::client::HttpClient;

Endpoint Parse(const std::string& hostport) {
  Endpoint e;
  e.host = hostport.substr(0, hostport.rfind(':'));
  e.port = std::stoi(hostport.substr(hostport.rfind(':') + 1));
  return e;
}

std::string Manifest(const std::string& name, int64_t stamp_ns) {
  std::string m = R"({"apiVersion":"gantry.dev/v1","kind":"Service","metadata":{"name":")" + name +
                  R"(","annotations":{"sent":")" + std::to_string(stamp_ns) + R"(","pad":")";
  std::string tail = R"("}},"spec":{"cluster":"default","taskDefinition":"web","desiredCount":2}})";
  m += std::string(1024 > m.size() + tail.size() ? 1024 - m.size() - tail.size() : 0, 'x');
  return m + tail;
}

std::string Base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What `clients` threads measured, each repeating its call until `seconds` had passed.
struct Load {
  std::vector<double> latencies_ms;  // of the calls that succeeded
  int64_t errors = 0;
  double elapsed_s = 0;
};

// `make_call(client)` gives each thread its call (owning its connection); a call returns whether
// it succeeded.
Load RunClients(int clients, int seconds,
                const std::function<std::function<bool()>(int client)>& make_call) {
  Load load;
  std::mutex mu;
  std::atomic<int64_t> errors{0};
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::function<bool()> call = make_call(c);
      std::vector<double> mine;
      while (Clock::now() < deadline) {
        auto start = Clock::now();
        if (!call()) {
          ++errors;
          continue;
        }
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      }
      std::lock_guard lock(mu);
      load.latencies_ms.insert(load.latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  load.errors = errors.load();
  load.elapsed_s = std::chrono::duration<double>(Clock::now() - started).count();
  return load;
}

int Write(const std::string& target, const std::string& hostport, int clients, int seconds) {
  Load load = RunClients(clients, seconds, [&](int c) -> std::function<bool()> {
    auto http = std::make_shared<HttpClient>(Parse(hostport), "", std::chrono::seconds(30));
    return [&target, http, c, i = 0]() mutable {
      std::string name = "svc-" + std::to_string(c) + "-" + std::to_string(i++ % 1000);
      std::string body = Manifest(name, 0);
      if (target == "etcd") {
        auto r = http->Request("POST", "/v3/kv/put",
                               R"({"key":")" + Base64("/registry/services/" + name) +
                                   R"(","value":")" + Base64(body) + R"("})");
        return r.ok() && r->status == 200;
      }
      auto r = http->Request("PUT", "/apis/gantry.dev/v1/services/" + name, body);
      return r.ok() && (r->status == 200 || r->status == 201);
    };
  });
  double n = static_cast<double>(load.latencies_ms.size());
  std::printf("%s writes: %.0f/s  p50 %.2f ms  p99 %.2f ms  (%d clients, %d s, %lld errors)\n",
              target.c_str(), n / seconds, Percentile(load.latencies_ms, 0.5),
              Percentile(load.latencies_ms, 0.99), clients, seconds,
              static_cast<long long>(load.errors));
  return load.errors == 0 ? 0 : 1;
}

int Watch(const std::string& hostport, int watchers, int writes) {
  std::mutex mu;
  std::vector<double> delays_ms;
  std::vector<std::thread> threads;
  for (int w = 0; w < watchers; ++w) {
    threads.emplace_back([&] {
      HttpClient http(Parse(hostport), "", std::chrono::seconds(30));
      int seen = 0;
      std::vector<double> mine;
      (void)http.Stream(
          "/apis/gantry.dev/v1/services?watch=1&resourceVersion=0",
          [&](const std::string& line) {
            // Only the creations this run writes: the service controller also writes the status
            // of every Service (these and those of earlier runs), which carries an older "sent".
            if (line.find("\"type\":\"ADDED\"") == std::string::npos ||
                line.find("\"name\":\"w-") == std::string::npos)
              return true;
            size_t at = line.find("\"sent\":\"");
            if (at == std::string::npos) return true;
            int64_t sent = std::stoll(line.substr(at + 8));
            mine.push_back(static_cast<double>(NowNs() - sent) / 1e6);
            return ++seen < writes;
          },
          std::chrono::seconds(30));
      std::lock_guard lock(mu);
      delays_ms.insert(delays_ms.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let every stream open
  HttpClient http(Parse(hostport));
  for (int i = 0; i < writes; ++i) {
    (void)http.Request("PUT", "/apis/gantry.dev/v1/services/w-" + std::to_string(i),
                       Manifest("w-" + std::to_string(i), NowNs()));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (auto& t : threads) t.join();
  double p50 = Percentile(delays_ms, 0.5), p99 = Percentile(delays_ms, 0.99);
  double max = delays_ms.empty() ? 0 : *std::max_element(delays_ms.begin(), delays_ms.end());
  std::printf(
      "watch delay: p50 %.2f ms  p99 %.2f ms  max %.2f ms  (%d watchers, %zu deliveries of %d)\n",
      p50, p99, max, watchers, delays_ms.size(), watchers * writes);
  return 0;
}

int Fill(const std::string& hostport, int objects, int clients) {
  std::atomic<int> next{0}, errors{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      HttpClient http(Parse(hostport));
      for (int i; (i = next++) < objects;) {
        std::string name = "fill-" + std::to_string(i);
        auto r = http.Request("PUT", "/apis/gantry.dev/v1/services/" + name, Manifest(name, 0));
        if (!r.ok() || r->status >= 300) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf("filled %d objects (%d errors)\n", objects, errors.load());
  return errors == 0 ? 0 : 1;
}

}  // namespace

// One keep-alive HTTP/1.1 connection, as the AWS SDKs and the CLI keep theirs: the RunTask
// figure then measures gantryd, not a TCP handshake per call.
class KeepAlive {
 public:
  explicit KeepAlive(const Endpoint& e) : endpoint_(e) {}
  ~KeepAlive() { Close(); }
  // POSTs `body` with `headers`; the status, or -1 when the connection failed. The answer's body
  // goes to `answer` when given.
  int Post(const std::string& path, const std::string& headers, const std::string& body,
           std::string* answer = nullptr) {
    if (fd_ < 0 && !Connect()) return -1;
    std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + endpoint_.host +
                          "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + headers +
                          "\r\n" + body;
    for (size_t sent = 0; sent < request.size();) {
      ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return Fail();
      sent += static_cast<size_t>(n);
    }
    // Headers, then Content-Length bytes of body.
    size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return Fail();
    }
    const std::string head = in_.substr(0, end);
    size_t length = 0;
    for (const char* name : {"Content-Length: ", "content-length: "}) {
      if (size_t at = head.find(name); at != std::string::npos)
        length = std::stoul(head.substr(at + std::strlen(name)));
    }
    while (in_.size() < end + 4 + length) {
      if (!Fill()) return Fail();
    }
    const int status = head.size() > 12 ? std::stoi(head.substr(9, 3)) : -1;
    if (answer) answer->assign(in_, end + 4, length);
    in_.erase(0, end + 4 + length);
    return status;
  }

 private:
  bool Connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(endpoint_.port));
    ::inet_pton(AF_INET, endpoint_.host.c_str(), &addr.sin_addr);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Close();
      return false;
    }
    return true;
  }
  bool Fill() {
    char buf[8192];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int Fail() {
    Close();
    return -1;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    in_.clear();
  }
  Endpoint endpoint_;
  int fd_ = -1;
  std::string in_;
};

// ECS RunTask of one task through gantryd's ECS endpoint from `clients` keep-alive connections.
int RunTask(const std::string& hostport, int clients, int seconds, const std::string& cluster,
            const std::string& task_definition) {
  const std::string headers =
      "Content-Type: application/x-amz-json-1.1\r\n"
      "X-Amz-Target: AmazonEC2ContainerServiceV20141113.RunTask\r\n";
  const std::string body =
      R"({"cluster":")" + cluster + R"(","taskDefinition":")" + task_definition + R"("})";
  // A call counts when it placed its task: an answer with only failures (no instance fits, or
  // the agents are disconnected) is fast and says nothing about launching.
  std::atomic<int64_t> unplaced{0};
  Load load = RunClients(clients, seconds, [&](int) -> std::function<bool()> {
    auto connection = std::make_shared<KeepAlive>(Parse(hostport));
    return [&, connection, answer = std::string()]() mutable {
      if (connection->Post("/", headers, body, &answer) != 200) return false;
      if (answer.find("\"taskArn\"") != std::string::npos) return true;
      ++unplaced;
      return false;
    };
  });
  const double calls = static_cast<double>(load.latencies_ms.size());
  std::printf(
      "RunTask via the ECS endpoint (C++ keep-alive client), %d clients, %d s: %.0f calls/s "
      "placing a task, p50 %.1f ms, p99 %.1f ms, %lld errors (%lld of them answered without a "
      "task)\n",
      clients, seconds, calls / load.elapsed_s, Percentile(load.latencies_ms, 0.50),
      Percentile(load.latencies_ms, 0.99), static_cast<long long>(load.errors),
      static_cast<long long>(unplaced.load()));
  return load.errors == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 5 && a[0] == "write") return Write(a[1], a[2], std::stoi(a[3]), std::stoi(a[4]));
  if (a.size() == 4 && a[0] == "watch") return Watch(a[1], std::stoi(a[2]), std::stoi(a[3]));
  if (a.size() == 4 && a[0] == "fill") return Fill(a[1], std::stoi(a[2]), std::stoi(a[3]));
  if (a.size() == 6 && a[0] == "runtask")
    return RunTask(a[1], std::stoi(a[2]), std::stoi(a[3]), a[4], a[5]);
  std::fprintf(stderr,
               "usage: api_load write gantry|etcd HOST:PORT CLIENTS SECONDS | watch HOST:PORT "
               "WATCHERS WRITES | "
               "fill HOST:PORT OBJECTS CLIENTS | runtask HOST:PORT CLIENTS SECONDS CLUSTER "
               "TASKDEF\n");
  return 2;
}
