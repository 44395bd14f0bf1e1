// Tests for the fleet verbs' HTTP exchange and ECS call against a one-shot server on a loopback
// port (port 0): the request as sent (target header, token, body), bodies handed over as they
// arrive, and how answers and failures are worded.

#include "cli/fleet/internal/http_exchange.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "cli/fleet/internal/ecs_call.h"

namespace gantry::cli::fleet_internal {
namespace {

using ::testing::HasSubstr;

// Accepts one connection, reads the request, and lets `respond` write the answer.
class OneShotServer {
 public:
  using Respond = std::function<void(int fd)>;

  explicit OneShotServer(Respond respond) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, respond = std::move(respond)] {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::string request;
      char buf[4096];
      // Headers, then as much body as Content-Length says.
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      size_t head_end = request.find("\r\n\r\n");
      size_t length = 0;
      if (size_t cl = request.find("Content-Length: "); cl != std::string::npos) {
        length = std::stoul(request.substr(cl + 16));
      }
      while (head_end != std::string::npos && request.size() < head_end + 4 + length) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mu_);
        request_ = request;
      }
      respond(fd);
      ::close(fd);
    });
  }
  ~OneShotServer() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }

  client::Endpoint endpoint() const {
    client::Endpoint ep;
    ep.port = port_;
    return ep;
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string request() const {
    std::lock_guard lock(mu_);
    return request_;
  }

  static void Write(int fd, const std::string& text) {
    (void)::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
  }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::string request_;
};

TEST(ExchangeTest, SendsHeadersTokenAndBody) {
  OneShotServer server(
      [](int fd) { OneShotServer::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"); });
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.path_and_query = "/";
  spec.headers.emplace_back("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.RunTask");
  spec.content_type = "application/x-amz-json-1.1";
  spec.body = R"({"taskDefinition":"web"})";
  auto reply = Exchange(server.endpoint(), "secret", spec);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "{}");
  std::string request = server.request();
  EXPECT_THAT(request, HasSubstr("POST / HTTP/1.1\r\n"));
  EXPECT_THAT(request,
              HasSubstr("\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.RunTask\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\nAuthorization: Bearer secret\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\nContent-Type: application/x-amz-json-1.1\r\n"));
  EXPECT_THAT(request, HasSubstr("\r\n\r\n{\"taskDefinition\":\"web\"}"));
}

// The first piece reaches the caller before the server sends the rest, partial line and all,
// and an unterminated last line is not lost.
TEST(ExchangeTest, HandsOverChunksAsTheyArrive) {
  std::mutex mu;
  std::condition_variable cv;
  bool first_seen = false;
  bool rest_waited = false;
  OneShotServer server([&](int fd) {
    OneShotServer::Write(fd,
                         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                         "Content-Type: text/plain\r\n\r\n7\r\nline 1\n\r\n5\r\npart \r\n");
    std::unique_lock lock(mu);
    // Bounded so a client that buffers fails the test instead of hanging it.
    rest_waited = cv.wait_for(lock, std::chrono::seconds(10), [&] { return first_seen; });
    lock.unlock();
    OneShotServer::Write(fd, "9\r\nof line 2\r\n0\r\n\r\n");
  });
  HttpRequestSpec spec;
  spec.path_and_query = "/apis/gantry.dev/v1/tasks/t/log?follow=true";
  std::string got;
  auto reply = Exchange(server.endpoint(), "", spec, {}, [&](std::string_view piece) {
    got.append(piece);
    if (got.find("part ") != std::string::npos) {
      std::lock_guard lock(mu);
      first_seen = true;
      cv.notify_one();
    }
    return true;
  });
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_TRUE(rest_waited) << "the first chunks were held back until the body ended";
  EXPECT_EQ(got, "line 1\npart of line 2");
  EXPECT_EQ(reply->body, "");
  EXPECT_THAT(server.request(), ::testing::Not(HasSubstr("Authorization")));
}

TEST(ExchangeTest, ErrorBodiesAreCollectedNotStreamed) {
  OneShotServer server([](int fd) {
    OneShotServer::Write(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
  });
  bool streamed = false;
  auto reply = Exchange(server.endpoint(), "", HttpRequestSpec{}, {}, [&](std::string_view) {
    streamed = true;
    return true;
  });
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(reply->body, "not found");
  EXPECT_FALSE(streamed);
}

TEST(ExchangeTest, BodyUntilClose) {
  OneShotServer server(
      [](int fd) { OneShotServer::Write(fd, "HTTP/1.1 200 OK\r\n\r\nall of it"); });
  auto reply = Exchange(server.endpoint(), "", HttpRequestSpec{});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->body, "all of it");
}

TEST(ExchangeTest, NobodyListeningIsUnavailable) {
  client::Endpoint ep;
  {
    OneShotServer server([](int) {});
    ep = server.endpoint();
    // Connect once so the server thread ends; then the port is closed.
    auto reply = Exchange(ep, "", HttpRequestSpec{});
    (void)reply;
  }
  auto reply = Exchange(ep, "", HttpRequestSpec{});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), api::Code::kUnavailable);
  EXPECT_THAT(reply.status().message(), HasSubstr("cannot connect to 127.0.0.1:"));
}

TEST(CallEcsTest, AwsErrorsReadTypeColonMessage) {
  OneShotServer server([](int fd) {
    std::string body = R"({"__type":"com.amazonaws.ecs#ClusterNotFoundException",)"
                       R"("message":"Cluster not found."})";
    OneShotServer::Write(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  auto reply = CallEcs({server.Url(), ""}, "ListContainerInstances", Json{{"cluster", "x"}});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().message(), "ClusterNotFoundException: Cluster not found.");
  EXPECT_THAT(server.request(),
              HasSubstr("X-Amz-Target: AmazonEC2ContainerServiceV20141113.ListContainerInstances"));
}

TEST(CallEcsTest, KeepsTheServersMemberOrder) {
  OneShotServer server([](int fd) {
    std::string body = R"({"tasks":[],"failures":[{"reason":"MISSING","arn":"a"}]})";
    OneShotServer::Write(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\n\r\n" + body);
  });
  auto reply = CallEcs({server.Url(), ""}, "DescribeTasks", Json{{"tasks", {"a"}}});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->dump(), R"({"tasks":[],"failures":[{"reason":"MISSING","arn":"a"}]})");
}

TEST(CallEcsTest, NotAnEcsEndpoint) {
  OneShotServer server([](int fd) {
    std::string body = R"({"code":404,"reason":"NotFound","message":"no route"})";
    OneShotServer::Write(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  auto reply = CallEcs({server.Url(), ""}, "RunTask", Json::object());
  ASSERT_FALSE(reply.ok());
  EXPECT_THAT(reply.status().message(),
              HasSubstr("did not answer RunTask as an ECS endpoint (HTTP 404): no route"));
}

TEST(IdOfTest, LastSegmentOfArns) {
  EXPECT_EQ(IdOf("arn:aws:ecs:us-east-1:000000000000:task/default/0a1b"), "0a1b");
  EXPECT_EQ(IdOf("arn:aws:ecs:us-east-1:000000000000:container-instance/default/i-1"), "i-1");
  EXPECT_EQ(IdOf("0a1b"), "0a1b");
  EXPECT_EQ(IdOf("a/b"), "a/b");
}

}  // namespace
}  // namespace gantry::cli::fleet_internal
