// The only file that includes cpprest.
#include "api/rest/rest_server.h"

#include <cpprest/http_listener.h>
#include <cpprest/producerconsumerstream.h>
#include <pplx/threadpool.h>

#include <list>
#include <mutex>
#include <thread>

#include "api/codec/object_codec.h"
#include "api/rest/worker_pool.h"
#include "api/schema/kinds.h"
#include "gantry/v1/meta.pb.h"

namespace gantry::rest {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::experimental::listener::http_listener;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void ReplyQuietly(http_request& req, http_response& res) {
  // The client may be gone; a failed reply is not ours to crash on.
  req.reply(res).then([](pplx::task<void> t) {
    try {
      t.get();
    } catch (...) {
    }
  });
}

void Reply(http_request req, const HttpResponse& r) {
  http_response res(static_cast<web::http::status_code>(r.status));
  res.set_body(r.body, r.content_type);
  for (const auto& [k, v] : r.headers) res.headers().add(k, v);
  ReplyQuietly(req, res);
}

}  // namespace

class RestServer::Impl {
 public:
  Impl(const RestOptions& options, api::ObjectService& service, const api::Authorizer* authorizer)
      : options_(options), handler_(service, authorizer), pool_(options.workers) {}

  api::Status Open() {
    static std::once_flag once;
    // cpprest's shared pool must be sized before any other cpprest call. Its threads only parse
    // and hand off (handlers never block them), so a few suffice; more only add context switches
    // (measured: 16 threads 5.3k writes/s, 4 threads 7.5k).
    std::call_once(once, [] { crossplat::threadpool::initialize_with_threads(4); });
    std::string uri = "http://" + options_.host + ":" + std::to_string(options_.port);
    try {
      listener_ = std::make_unique<http_listener>(uri);
      listener_->support([this](http_request req) { OnRequest(std::move(req)); });
      listener_->open().wait();
    } catch (const std::exception& e) {
      return api::Status(api::Code::kUnavailable, "cannot listen on " + options_.host + ":" +
                                                      std::to_string(options_.port) + ": " +
                                                      e.what());
    }
    return {};
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    try {
      listener_->close().wait();
    } catch (...) {
    }
    std::list<StreamThread> streams;
    {
      std::lock_guard lock(watches_mu_);
      streams.swap(stream_threads_);
    }
    for (auto& s : streams) s.thread.join();
  }

  int port() const { return options_.port; }
  size_t open_watches() const { return open_watches_.load(); }

 private:
  void OnRequest(http_request req) {
    if (stopped_)
      return Reply(req, ErrorResponse(api::Status(api::Code::kUnavailable, "server is stopping")));
    auto length = req.headers().content_length();
    if (length > options_.max_body_bytes) {
      return Reply(req, ErrorResponse(api::Status(api::Code::kResourceExhausted,
                                                  "request body of " + std::to_string(length) +
                                                      " bytes is over the limit of " +
                                                      std::to_string(options_.max_body_bytes))));
    }
    req.extract_string(true).then([this, req](pplx::task<std::string> t) mutable {
      std::string body;
      try {
        body = t.get();
      } catch (const std::exception& e) {
        return Reply(req, ErrorResponse(api::Status(
                              api::Code::kInvalidArgument,
                              std::string("cannot read the request body: ") + e.what())));
      }
      if (body.size() > options_.max_body_bytes) {
        return Reply(req, ErrorResponse(api::Status(api::Code::kResourceExhausted,
                                                    "request body is over the limit")));
      }
      HttpRequest r;
      r.method = req.method();
      r.path = web::uri::decode(req.relative_uri().path());
      r.raw_path = req.relative_uri().path();
      r.raw_query = req.relative_uri().query();
      for (const auto& [k, v] : web::uri::split_query(req.relative_uri().query())) {
        r.query[k] = web::uri::decode(v);
      }
      for (const auto& [k, v] : req.headers()) r.headers[Lower(k)] = v;
      r.body = std::move(body);
      bool posted =
          pool_.Post([this, req, r = std::move(r)]() mutable { Serve(std::move(req), r); });
      if (!posted)
        Reply(req, ErrorResponse(api::Status(api::Code::kUnavailable, "server is stopping")));
    });
  }

  // The bounded label for a path: the REST resource, or a fixed name.
  static std::string ResourceLabel(const std::string& path) {
    static const std::string kPrefix = "/apis/gantry.dev/v1/";
    if (path.rfind(kPrefix, 0) == 0) {
      std::string plural =
          path.substr(kPrefix.size(), path.find('/', kPrefix.size()) - kPrefix.size());
      for (const auto& k : schema::Kinds())
        if (k.plural == plural) return plural;
      return "other";
    }
    if (path == "/healthz" || path == "/readyz" || path == "/metrics") return path.substr(1);
    return "other";
  }

  void Serve(http_request req, const HttpRequest& r) {
    const auto started = std::chrono::steady_clock::now();
    auto observe = [&](int status) {
      if (options_.on_request) {
        options_.on_request(
            r.method, ResourceLabel(r.path), status,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
    };
    HttpResponse response;
    if (options_.own_auth_routes) {
      std::string resource = "other";
      if (options_.own_auth_routes(r, response, resource)) {
        if (options_.on_request) {
          options_.on_request(
              r.method, resource, response.status,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        }
        return Reply(req, response);
      }
    }
    if (auto admitted = handler_.Admit(r); !admitted.ok()) {
      response = ErrorResponse(admitted);
      observe(response.status);
      return Reply(req, response);
    }
    if (r.method == "GET" && options_.extra_routes && options_.extra_routes(r, response)) {
      observe(response.status);
      if (response.stream) return StartStream(std::move(req), std::move(response));
      return Reply(req, response);
    }
    response = handler_.Handle(r);
    observe(response.status);
    if (!response.watch) return Reply(req, response);
    StartWatch(std::move(req), std::move(response));
  }

  // A watch is a stream whose producer turns watch events (and periodic bookmarks) into
  // newline-delimited JSON.
  void StartWatch(http_request req, HttpResponse response) {
    auto watch = std::shared_ptr<api::ObjectWatch>(std::move(response.watch));
    auto last_bookmark =
        std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    auto last_revision = std::make_shared<std::string>("0");
    response.stream = [this, watch, last_bookmark, last_revision,
                       kind = response.watch_kind](std::string& chunk) {
      api::ObjectEvent e;
      auto poll = HttpResponse::StreamPoll::kIdle;
      switch (watch->Next(e, std::chrono::milliseconds(200))) {
        case api::ObjectWatch::Poll::kClosed:
          chunk +=
              "{\"type\":\"ERROR\",\"object\":{\"code\":410,\"reason\":\"Gone\",\"message\":"
              "\"watch closed: " +
              watch->closed_reason() + "\"}}\n";
          return HttpResponse::StreamPoll::kEnd;
        case api::ObjectWatch::Poll::kEvent:
          *last_revision = schema::MetaOf(*e.object).resource_version();
          chunk += std::string("{\"type\":\"") + api::EventTypeName(e.type) +
                   "\",\"object\":" + codec::ToJson(*e.object) + "}\n";
          poll = HttpResponse::StreamPoll::kData;
          break;
        case api::ObjectWatch::Poll::kTimeout:
          break;
      }
      if (std::chrono::steady_clock::now() - *last_bookmark >= options_.bookmark_interval) {
        chunk += "{\"type\":\"BOOKMARK\",\"object\":{\"apiVersion\":\"gantry.dev/v1\",\"kind\":\"" +
                 kind + "\",\"metadata\":{\"resourceVersion\":\"" + *last_revision + "\"}}}\n";
        *last_bookmark = std::chrono::steady_clock::now();
        poll = HttpResponse::StreamPoll::kData;
      }
      // The watch already waited; no extra pause.
      return poll == HttpResponse::StreamPoll::kIdle ? HttpResponse::StreamPoll::kData : poll;
    };
    response.content_type = "application/json";
    StartStream(std::move(req), std::move(response), [watch] { watch->Cancel(); });
  }

  // One thread per stream writes what the producer gives into a buffer that cpprest sends as a
  // chunked body. The producer paces itself (a watch waits for events; kIdle gets a 200 ms
  // pause). cpprest cannot tell a handler that the client left, but the reply's task ends (with
  // an error) once a chunk can no longer be written: that is how a stream learns to stop.
  void StartStream(http_request req, HttpResponse response,
                   std::function<void()> on_end = nullptr) {
    if (open_watches_.load() >= options_.max_watches) {
      if (on_end) on_end();
      return Reply(req,
                   ErrorResponse(api::Status(api::Code::kUnavailable, "too many open streams")));
    }
    auto buffer = std::make_shared<concurrency::streams::producer_consumer_buffer<uint8_t>>();
    http_response res(static_cast<web::http::status_code>(response.status));
    res.headers().set_content_type(response.content_type);
    res.set_body(buffer->create_istream());
    auto client_gone = std::make_shared<std::atomic<bool>>(false);
    req.reply(res).then([client_gone](pplx::task<void> t) {
      client_gone->store(true);
      try {
        t.get();
      } catch (...) {
      }
    });
    ++open_watches_;
    std::lock_guard lock(watches_mu_);
    // Streams that ended are joined here, so their threads do not pile up until Stop().
    for (auto it = stream_threads_.begin(); it != stream_threads_.end();) {
      if (!it->done->load()) {
        ++it;
        continue;
      }
      it->thread.join();
      it = stream_threads_.erase(it);
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    stream_threads_.push_back({done, {}});
    stream_threads_.back().thread = std::thread([this, buffer, client_gone, done,
                                                 produce = std::move(response.stream), on_end] {
      constexpr size_t kMaxUnsent = 1 << 20;  // a client that stops reading is dropped
      while (!stopped_ && !*client_gone && buffer->in_avail() <= kMaxUnsent) {
        std::string chunk;
        auto poll = produce(chunk);
        if (!chunk.empty()) {
          buffer->putn_nocopy(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()).wait();
          buffer->sync().wait();
        }
        if (poll == HttpResponse::StreamPoll::kEnd) break;
        if (poll == HttpResponse::StreamPoll::kIdle)
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      if (on_end) on_end();
      buffer->close(std::ios_base::out).wait();
      --open_watches_;
      done->store(true);
    });
  }

  const RestOptions options_;
  RestHandler handler_;
  WorkerPool pool_;
  std::unique_ptr<http_listener> listener_;
  std::atomic<bool> stopped_{false};
  std::atomic<size_t> open_watches_{0};
  struct StreamThread {
    std::shared_ptr<std::atomic<bool>> done;
    std::thread thread;
  };
  std::mutex watches_mu_;
  std::list<StreamThread> stream_threads_;
};

api::StatusOr<std::unique_ptr<RestServer>> RestServer::Start(const RestOptions& options,
                                                             api::ObjectService& service,
                                                             const api::Authorizer* authorizer) {
  auto impl = std::make_unique<Impl>(options, service, authorizer);
  if (auto st = impl->Open(); !st.ok()) return st;
  return std::unique_ptr<RestServer>(new RestServer(std::move(impl)));
}

RestServer::RestServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestServer::~RestServer() { Stop(); }
void RestServer::Stop() { impl_->Stop(); }
int RestServer::port() const { return impl_->port(); }
size_t RestServer::open_watches() const { return impl_->open_watches(); }

}  // namespace gantry::rest
