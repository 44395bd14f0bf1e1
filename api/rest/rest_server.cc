// The only file that includes Boost.Beast and Boost.Asio.
//
// Why not cpprest's http_listener (used until issue 8): it reads headers without a size limit,
// has no read or idle timeouts and no connection cap, and answers only after it has read the
// whole request body, chunked or not (ecosystem.md §6; its maintainers call the listener a test
// tool). Every one of those is a way to exhaust the server, so the listener was replaced by this
// file; the rest of the REST layer never saw it.
#include "api/rest/rest_server.h"

#include <openssl/ssl.h>
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <future>
#include <list>
#include <mutex>
#include <thread>

#include "api/codec/json_string.h"
#include "api/codec/object_codec.h"
#include "api/rest/worker_pool.h"
#include "api/schema/kinds.h"
#include "api/service/peer_certificate.h"
#include "gantry/v1/meta.pb.h"

namespace gantry::rest {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes decoded ('+' stays '+', as in paths); false on a malformed escape or a NUL.
bool PercentDecode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return false;
    out.push_back(c);
  }
  return true;
}

bool ParseQuery(std::string_view raw, std::map<std::string, std::string>& out) {
  while (!raw.empty()) {
    size_t amp = raw.find('&');
    std::string_view pair = raw.substr(0, amp);
    raw.remove_prefix(amp == std::string_view::npos ? raw.size() : amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), key)) return false;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), value)) return false;
    out[std::move(key)] = std::move(value);
  }
  return true;
}

// The bounded label for a path: the REST resource, or a fixed name.
std::string ResourceLabel(const std::string& path) {
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

HttpResponse JsonError(int status, const std::string& reason, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = "{\"code\":" + std::to_string(status) + ",\"reason\":\"" + reason +
           "\",\"message\":" + codec::JsonString(message) + "}";
  return r;
}

}  // namespace

size_t ConnectionCapFor(size_t descriptor_limit, size_t reserved) {
  size_t left = descriptor_limit > reserved ? descriptor_limit - reserved : 0;
  return std::clamp<size_t>(left, 16, 16384);
}

// One connection, whatever carries it. The server keeps weak references to find connections to
// evict and to close at shutdown.
class ConnectionBase : public std::enable_shared_from_this<ConnectionBase> {
 public:
  explicit ConnectionBase(RestServer::Impl& server) : server_(server) {}
  virtual ~ConnectionBase();
  virtual void Start() = 0;
  // From any thread: closes the connection (on its own strand).
  virtual void Close() = 0;
  // Idle between requests or still sending headers: the first to go at the connection cap.
  bool evictable() const { return evictable_.load(); }
  // What the worker thread hands back.
  virtual void Respond(HttpResponse response, std::optional<api::StreamLimiter::Slot> slot) = 0;

 protected:
  RestServer::Impl& server_;
  std::atomic<bool> evictable_{true};

 private:
  friend class RestServer::Impl;
  std::list<ConnectionBase*>::iterator registration_;
  bool registered_ = false;
};

class RestServer::Impl {
 public:
  Impl(const RestOptions& options, api::ObjectService& service, const api::Authorizer* authorizer)
      : options_(options),
        handler_(service, authorizer, options.read_scope),
        pool_(options.workers),
        acceptor_(net::make_strand(ioc_)),
        accept_backoff_(acceptor_.get_executor()) {
    if (options_.streams) {
      limiter_ = options_.streams;
    } else {
      own_limiter_ = std::make_unique<api::StreamLimiter>(1000, 1000);
      limiter_ = own_limiter_.get();
    }
    max_connections_ = options_.max_connections;
    if (max_connections_ == 0) {
      rlimit limit{};
      ::getrlimit(RLIMIT_NOFILE, &limit);
      max_connections_ = ConnectionCapFor(static_cast<size_t>(limit.rlim_cur));
    }
  }

  ~Impl() { Stop(); }

  api::Status Open();
  void Stop();
  int port() const { return port_; }
  size_t open_watches() const { return open_streams_.load(); }
  size_t open_connections() const {
    std::lock_guard lock(connections_mu_);
    return connections_.size();
  }

  const RestOptions& options() const { return options_; }
  // Runs `request` on a worker and hands the response back to `connection`.
  void Dispatch(std::shared_ptr<ConnectionBase> connection, HttpRequest request);
  // On a worker thread: false once the server is stopping.
  bool PostWork(std::function<void()> work) { return pool_.Post(std::move(work)); }
  void Unregister(ConnectionBase& connection) {
    std::lock_guard lock(connections_mu_);
    if (connection.registered_) connections_.erase(connection.registration_);
    connection.registered_ = false;
  }
  std::atomic<size_t>& open_streams() { return open_streams_; }

 private:
  void Accept();
  void OnAccept(const boost::system::error_code& ec, tcp::socket socket);
  // The oldest connection that is idle between requests (an eviction candidate), if any. The
  // caller must let go of it with connections_mu_ released: the last reference runs the
  // destructor, and the destructor takes connections_mu_.
  std::shared_ptr<ConnectionBase> OldestEvictable();
  std::shared_ptr<ConnectionBase> OldestEvictableLocked();  // connections_mu_ held
  HttpResponse Serve(HttpRequest& request, std::optional<api::StreamLimiter::Slot>& slot);

  const RestOptions options_;
  RestHandler handler_;
  std::unique_ptr<api::StreamLimiter> own_limiter_;
  api::StreamLimiter* limiter_ = nullptr;
  size_t max_connections_ = 0;
  std::atomic<size_t> open_streams_{0};
  std::atomic<bool> stopped_{false};
  int port_ = 0;
  // Outlives ioc_: connections still queued in ioc_ unregister when it destroys them.
  mutable std::mutex connections_mu_;
  // Oldest first. Raw pointers, valid while connections_mu_ is held: a connection's destructor
  // unregisters under the lock. No shared_ptr may be released under the lock (a weak_ptr locked
  // and dropped there could be the last reference, and its destructor would wait on the lock
  // forever: the accept loop did exactly that under a storm of short connections).
  std::list<ConnectionBase*> connections_;
  std::optional<ssl::context> ssl_;
  WorkerPool pool_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_backoff_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
};

ConnectionBase::~ConnectionBase() { server_.Unregister(*this); }

namespace {

// A connection over a plain TCP stream or TLS on top of one. Every member is touched only on
// the connection's strand (the socket's executor), except evictable_ and what Close() posts.
template <class Stream>
class Connection : public ConnectionBase {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  // `context` is used (and required) for TLS only.
  Connection(RestServer::Impl& server, tcp::socket&& socket, ssl::context* context)
      : ConnectionBase(server),
        options_(server.options()),
        stream_(MakeStream(std::move(socket), context)),
        buffer_(options_.max_header_bytes + 16 * 1024),
        timer_(stream_.get_executor()) {}

  ~Connection() override {
    if (watch_) watch_->SetNotify(nullptr);
    if (counted_stream_) --server_.open_streams();
  }

  void Start() override {
    net::dispatch(stream_.get_executor(), [self = Self()] {
      if constexpr (kTls) {
        self->Lowest().expires_after(self->options_.header_timeout);
        self->stream_.async_handshake(
            ssl::stream_base::server,
            [self](const boost::system::error_code& ec) { self->OnHandshake(ec); });
      } else {
        self->WaitForRequest(self->options_.header_timeout);
      }
    });
  }

  void Close() override {
    evictable_ = false;
    net::post(stream_.get_executor(), [self = Self()] { self->EndStream(); });
  }

  void Respond(HttpResponse response, std::optional<api::StreamLimiter::Slot> slot) override {
    net::post(stream_.get_executor(),
              [self = Self(), response = std::move(response), slot = std::move(slot)]() mutable {
                self->OnResponse(std::move(response), std::move(slot));
              });
  }

 private:
  static Stream MakeStream(tcp::socket&& socket, ssl::context* context) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *context);
    } else {
      (void)context;
      return Stream(std::move(socket));
    }
  }

  std::shared_ptr<Connection> Self() {
    return std::static_pointer_cast<Connection>(shared_from_this());
  }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void OnHandshake(const boost::system::error_code& ec) {
    if (ec) return Shutdown();
    if constexpr (kTls) {
      SSL* native = stream_.native_handle();
      if (X509* cert = SSL_get1_peer_certificate(native)) {
        if (SSL_get_verify_result(native) == X509_V_OK) peer_ = api::PeerCertificateOf(cert);
        X509_free(cert);
      }
    }
    WaitForRequest(options_.header_timeout);
  }

  // Between requests: wait for the first bytes of the next one.
  void WaitForRequest(std::chrono::milliseconds timeout) {
    if (closed_) return;
    evictable_ = true;
    if (buffer_.size() > 0) return ReadHeader();
    Lowest().expires_after(timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = Self()](const boost::system::error_code& ec, size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->Shutdown();
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser_->body_limit(options_.max_body_bytes);
    Lowest().expires_after(options_.header_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = Self()](const boost::system::error_code& ec, size_t) { self->OnHeader(ec); });
  }

  // Answers a read error: an HTTP error for what the client sent, silence for a dead peer.
  void OnReadError(const boost::system::error_code& ec) {
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return Refuse(431, "RequestHeaderFieldsTooLarge",
                    "request headers are over the limit of " +
                        std::to_string(options_.max_header_bytes) + " bytes");
    }
    if (ec == http::error::body_limit) {
      return Refuse(413, "RequestEntityTooLarge",
                    "request body is over the limit of " + std::to_string(options_.max_body_bytes) +
                        " bytes");
    }
    if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return Refuse(400, "BadRequest", "malformed request: " + ec.message());
    }
    Shutdown();  // timeout, reset, end of stream
  }

  void OnHeader(const boost::system::error_code& ec) {
    if (ec) return OnReadError(ec);
    evictable_ = false;
    auto& header = parser_->get();
    auto expect = header[http::field::expect];
    if (!expect.empty()) {
      if (!beast::iequals(expect, "100-continue"))
        return Refuse(417, "ExpectationFailed", "only Expect: 100-continue is understood");
      if (!parser_->is_done() && buffer_.size() == 0) {
        // The body is welcome (its length is within the limit, or it is chunked and counted as
        // it comes): say so, so clients waiting for 100 send it at once. A client whose body
        // already arrived is not waiting (RFC 9110 §10.1.1 lets the server skip the 100).
        auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                       header.version());
        Lowest().expires_after(options_.write_timeout);
        http::async_write(stream_, *cont,
                          [self = Self(), cont](const boost::system::error_code& wec, size_t) {
                            if (wec) return self->Shutdown();
                            self->ReadBody();
                          });
        return;
      }
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return OnBody({});
    Lowest().expires_after(options_.body_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = Self()](const boost::system::error_code& ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(const boost::system::error_code& ec) {
    if (ec) return OnReadError(ec);
    Lowest().expires_never();
    auto req = parser_->release();
    parser_.reset();
    keep_alive_ = req.keep_alive();
    HttpRequest r;
    r.method = std::string(req.method_string());
    std::string_view target(req.target().data(), req.target().size());
    if (target.empty() || target[0] != '/')
      return Refuse(400, "BadRequest", "the request target must be a path starting with '/'");
    size_t question = target.find('?');
    r.raw_path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) r.raw_query = std::string(target.substr(question + 1));
    if (!PercentDecode(r.raw_path, r.path) || !ParseQuery(r.raw_query, r.query))
      return Refuse(400, "BadRequest", "the request target has a malformed %-escape");
    for (const auto& field : req) {
      std::string name =
          Lower(std::string_view(field.name_string().data(), field.name_string().size()));
      std::string_view value(field.value().data(), field.value().size());
      auto [it, inserted] = r.headers.try_emplace(std::move(name), value);
      if (!inserted) it->second.append(",").append(value);
    }
    r.body = std::move(req.body());
    r.peer_certificate = peer_;
    server_.Dispatch(shared_from_this(), std::move(r));
  }

  void OnResponse(HttpResponse response, std::optional<api::StreamLimiter::Slot> slot) {
    if (closed_) {
      if (response.watch) response.watch->Cancel();
      return;
    }
    if (response.watch) {
      slot_ = std::move(slot);
      return StartWatch(std::shared_ptr<api::ObjectWatch>(std::move(response.watch)),
                        response.watch_kind);
    }
    if (response.stream) {
      slot_ = std::move(slot);
      return StartProducer(std::move(response));
    }
    auto msg = std::make_shared<http::response<http::string_body>>();
    msg->version(11);
    msg->result(static_cast<unsigned>(response.status));
    msg->set(http::field::content_type, response.content_type);
    for (const auto& [k, v] : response.headers) msg->set(k, v);
    msg->body() = std::move(response.body);
    msg->keep_alive(keep_alive_);
    msg->prepare_payload();
    Lowest().expires_after(options_.write_timeout);
    http::async_write(stream_, *msg,
                      [self = Self(), msg](const boost::system::error_code& ec, size_t) {
                        if (ec || !msg->keep_alive()) return self->Shutdown();
                        self->WaitForRequest(self->options_.idle_timeout);
                      });
  }

  // An error answer after which the connection closes (the rest of the request is unread).
  void Refuse(int status, const std::string& reason, const std::string& message) {
    evictable_ = false;
    HttpResponse r = JsonError(status, reason, message);
    auto msg = std::make_shared<http::response<http::string_body>>();
    msg->version(11);
    msg->result(static_cast<unsigned>(status));
    msg->set(http::field::content_type, r.content_type);
    msg->body() = std::move(r.body);
    msg->keep_alive(false);
    msg->prepare_payload();
    Lowest().expires_after(options_.write_timeout);
    http::async_write(
        stream_, *msg,
        [self = Self(), msg](const boost::system::error_code& ec, size_t) { self->Linger(ec); });
  }

  // Closing a socket with unread input resets it, and the reset can destroy the answer before
  // the client reads it: stop sending, drain (bounded in time and bytes), then close.
  void Linger(const boost::system::error_code& ec) {
    if (ec) return Shutdown();
    boost::system::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    // Clients commonly send the whole body before reading (ours does); nginx's lingering close
    // waits the same way. Drained bytes are discarded, so this costs time, never memory.
    Lowest().expires_after(std::chrono::seconds(5));
    DrainThenClose(size_t{64} << 20);
  }
  void DrainThenClose(size_t budget) {
    Lowest().async_read_some(
        net::buffer(drain_),
        [self = Self(), budget](const boost::system::error_code& ec, size_t n) {
          if (ec || n >= budget) return self->Shutdown();
          self->DrainThenClose(budget - n);
        });
  }

  // ---- streamed responses: chunked, one chunk in flight at a time ----

  template <class Then>
  void StartChunked(int status, const std::string& content_type, Then then) {
    auto header = std::make_shared<http::response<http::empty_body>>();
    header->version(11);
    header->result(static_cast<unsigned>(status));
    header->set(http::field::content_type, content_type);
    header->chunked(true);
    header->keep_alive(keep_alive_ && !long_lived_);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
    Lowest().expires_after(options_.write_timeout);
    http::async_write_header(stream_, *serializer,
                             [self = Self(), header, serializer, then = std::move(then)](
                                 const boost::system::error_code& ec, size_t) {
                               if (ec) return self->EndStream();
                               self->Lowest().expires_never();
                               // A client of an endless stream leaves by closing; reading is
                               // how we learn it, so its slot is given back at once.
                               if (self->long_lived_) self->WatchForHangUp();
                               then();
                             });
  }

  void WatchForHangUp() {
    stream_.async_read_some(net::buffer(drain_), [self = Self()](const boost::system::error_code&,
                                                                 size_t) { self->EndStream(); });
  }

  template <class Then>
  void WriteChunk(std::string data, Then then) {
    out_ = std::move(data);
    writing_ = true;
    Lowest().expires_after(options_.write_timeout);
    net::async_write(
        stream_, http::make_chunk(net::buffer(out_)),
        [self = Self(), then = std::move(then)](const boost::system::error_code& ec, size_t) {
          self->writing_ = false;
          if (ec || self->closed_) return self->EndStream();
          then();
        });
  }

  // The last chunk; then the next request, or the end for endless streams.
  void FinishStream() {
    ReleaseStream();
    Lowest().expires_after(options_.write_timeout);
    net::async_write(stream_, http::make_chunk_last(),
                     [self = Self()](const boost::system::error_code& ec, size_t) {
                       if (ec || self->long_lived_ || !self->keep_alive_) return self->Shutdown();
                       self->WaitForRequest(self->options_.idle_timeout);
                     });
  }

  void ReleaseStream() {
    boost::system::error_code ignored;
    timer_.cancel(ignored);
    if (watch_) {
      watch_->SetNotify(nullptr);
      watch_->Cancel();
    }
    producer_ = nullptr;
    slot_.reset();
    if (counted_stream_) {
      counted_stream_ = false;
      --server_.open_streams();
    }
  }

  void EndStream() {
    ReleaseStream();
    Shutdown();
  }

  void StartWatch(std::shared_ptr<api::ObjectWatch> watch, const std::string& kind) {
    watch_ = std::move(watch);
    watch_kind_ = kind;
    long_lived_ = true;
    counted_stream_ = true;
    ++server_.open_streams();
    StartChunked(200, "application/json", [self = Self()] {
      std::weak_ptr<Connection> weak = self;
      auto executor = self->stream_.get_executor();
      self->watch_->SetNotify([weak, executor] {
        auto strong = weak.lock();
        if (!strong || strong->pump_scheduled_.exchange(true)) return;
        net::post(executor, [strong] {
          strong->pump_scheduled_ = false;
          strong->PumpWatch();
        });
      });
      self->ArmBookmark();
      self->PumpWatch();
    });
  }

  void ArmBookmark() {
    timer_.expires_after(options_.bookmark_interval);
    timer_.async_wait([self = Self()](const boost::system::error_code& ec) {
      if (ec || self->closed_ || !self->watch_) return;
      self->bookmark_due_ = true;
      self->PumpWatch();
      self->ArmBookmark();
    });
  }

  void PumpWatch() {
    if (closed_ || writing_ || !watch_) return;
    std::string chunk;
    bool last = false;
    while (chunk.size() < 64 * 1024) {
      api::ObjectEvent e;
      auto poll = watch_->Next(e, std::chrono::milliseconds(0));
      if (poll == api::ObjectWatch::Poll::kTimeout) break;
      if (poll == api::ObjectWatch::Poll::kClosed) {
        chunk += "{\"type\":\"ERROR\",\"object\":{\"code\":410,\"reason\":\"Gone\",\"message\":" +
                 codec::JsonString("watch closed: " + watch_->closed_reason()) + "}}\n";
        last = true;
        break;
      }
      last_revision_ = schema::MetaOf(*e.object).resource_version();
      chunk += std::string("{\"type\":\"") + api::EventTypeName(e.type) +
               "\",\"object\":" + codec::ToJson(*e.object) + "}\n";
    }
    if (bookmark_due_ && !last) {
      bookmark_due_ = false;
      chunk += "{\"type\":\"BOOKMARK\",\"object\":{\"apiVersion\":\"gantry.dev/v1\",\"kind\":\"" +
               watch_kind_ + "\",\"metadata\":{\"resourceVersion\":\"" + last_revision_ + "\"}}}\n";
    }
    if (chunk.empty()) return;
    WriteChunk(std::move(chunk), [self = Self(), last] {
      if (last) return self->FinishStream();
      self->PumpWatch();
    });
  }

  void StartProducer(HttpResponse response) {
    producer_ = std::make_shared<std::function<HttpResponse::StreamPoll(std::string&)>>(
        std::move(response.stream));
    long_lived_ = response.long_lived;
    if (long_lived_) {
      counted_stream_ = true;
      ++server_.open_streams();
    }
    StartChunked(response.status, response.content_type, [self = Self()] { self->Produce(); });
  }

  // The producer may block (store reads, files): it runs on a worker, one piece at a time.
  void Produce() {
    if (closed_ || !producer_) return;
    auto executor = stream_.get_executor();
    bool posted = server_.PostWork([self = Self(), producer = producer_, executor] {
      std::string chunk;
      auto poll = (*producer)(chunk);
      net::post(executor, [self, chunk = std::move(chunk), poll]() mutable {
        self->OnProduced(std::move(chunk), poll);
      });
    });
    if (!posted) EndStream();
  }

  void OnProduced(std::string chunk, HttpResponse::StreamPoll poll) {
    if (closed_ || !producer_) return;
    auto next = [self = Self(), poll] {
      switch (poll) {
        case HttpResponse::StreamPoll::kEnd:
          return self->FinishStream();
        case HttpResponse::StreamPoll::kData:
          return self->Produce();
        case HttpResponse::StreamPoll::kIdle:
          self->timer_.expires_after(std::chrono::milliseconds(200));
          self->timer_.async_wait([self](const boost::system::error_code& ec) {
            if (!ec) self->Produce();
          });
          return;
      }
    };
    if (chunk.empty()) return next();
    WriteChunk(std::move(chunk), std::move(next));
  }

  void Shutdown() {
    if (closed_) return;
    closed_ = true;
    evictable_ = false;
    ReleaseStream();
    boost::system::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().close();
  }

  const RestOptions& options_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<api::PeerCertificate> peer_;
  bool keep_alive_ = false;
  bool closed_ = false;
  std::array<char, 4096> drain_{};
  // Streams.
  net::steady_timer timer_;
  bool long_lived_ = false;
  bool counted_stream_ = false;
  bool writing_ = false;
  std::string out_;
  std::optional<api::StreamLimiter::Slot> slot_;
  std::shared_ptr<api::ObjectWatch> watch_;
  std::string watch_kind_;
  std::string last_revision_ = "0";
  bool bookmark_due_ = false;
  std::atomic<bool> pump_scheduled_{false};
  std::shared_ptr<std::function<HttpResponse::StreamPoll(std::string&)>> producer_;
};

}  // namespace

api::Status RestServer::Impl::Open() {
  if (options_.tls) {
    try {
      ssl_.emplace(ssl::context::tls_server);
      ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::single_dh_use);
    } catch (const boost::system::system_error& e) {
      return api::Status(api::Code::kInternal, std::string("cannot set up TLS: ") + e.what());
    }
    auto load = [&](const std::string& flag, const std::string& path, auto&& f) -> api::Status {
      try {
        f();
      } catch (const boost::system::system_error& e) {
        return api::Status(api::Code::kInvalidArgument,
                           flag + " " + path + ": cannot load it (" + e.code().message() + ")");
      }
      return {};
    };
    const TlsFiles& tls = *options_.tls;
    if (auto st = load("--tls-cert-file", tls.cert_file,
                       [&] { ssl_->use_certificate_chain_file(tls.cert_file); });
        !st.ok())
      return st;
    if (auto st = load("--tls-key-file", tls.key_file,
                       [&] { ssl_->use_private_key_file(tls.key_file, ssl::context::pem); });
        !st.ok())
      return st;
    if (!tls.client_ca_file.empty()) {
      if (auto st = load("--client-ca-file", tls.client_ca_file,
                         [&] { ssl_->load_verify_file(tls.client_ca_file); });
          !st.ok())
        return st;
      // Ask for a certificate, but let clients with a bearer token come without one; one that
      // is presented must verify.
      ssl_->set_verify_mode(ssl::verify_peer);
      if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str()))
        SSL_CTX_set_client_CA_list(ssl_->native_handle(), names);
    }
  }
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  auto address =
      net::ip::make_address(options_.host == "localhost" ? "127.0.0.1" : options_.host, ec);
  if (ec) {
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(options_.host, std::to_string(options_.port), ec);
    if (ec || results.empty())
      return api::Status(api::Code::kUnavailable,
                         "cannot resolve " + options_.host + ": " + ec.message());
    endpoint = *results.begin();
  } else {
    endpoint = tcp::endpoint(address, static_cast<unsigned short>(options_.port));
  }
  auto fail = [&](const char* what) {
    return api::Status(api::Code::kUnavailable,
                       std::string("cannot ") + what + " " + options_.host + ":" +
                           std::to_string(options_.port) + ": " + ec.message());
  };
  if (acceptor_.open(endpoint.protocol(), ec)) return fail("open a socket for");
  if (acceptor_.set_option(net::socket_base::reuse_address(true), ec)) return fail("configure");
  if (acceptor_.bind(endpoint, ec)) return fail("listen on");
  if (acceptor_.listen(1024, ec)) return fail("listen on");
  port_ = acceptor_.local_endpoint(ec).port();
  work_.emplace(ioc_.get_executor());
  for (size_t i = 0; i < std::max<size_t>(1, options_.io_threads); ++i)
    io_threads_.emplace_back([this] { ioc_.run(); });
  net::dispatch(acceptor_.get_executor(), [this] { Accept(); });
  return {};
}

void RestServer::Impl::Accept() {
  if (stopped_) return;
  acceptor_.async_accept(net::make_strand(ioc_),
                         [this](const boost::system::error_code& ec, tcp::socket socket) {
                           OnAccept(ec, std::move(socket));
                         });
}

std::shared_ptr<ConnectionBase> RestServer::Impl::OldestEvictableLocked() {
  for (ConnectionBase* c : connections_) {
    // A connection being destroyed is not evictable (it was closed first) or its weak
    // reference is expired; either way nothing is released here.
    if (!c->evictable()) continue;
    if (auto alive = c->weak_from_this().lock()) return alive;
  }
  return nullptr;
}

std::shared_ptr<ConnectionBase> RestServer::Impl::OldestEvictable() {
  std::lock_guard lock(connections_mu_);
  return OldestEvictableLocked();
}

void RestServer::Impl::OnAccept(const boost::system::error_code& ec, tcp::socket socket) {
  if (stopped_ || ec == net::error::operation_aborted) return;
  if (ec) {
    // Out of descriptors: the process's other descriptors (gRPC, the database, logs) can leave
    // fewer than the connection cap assumed, and idle connections would hold theirs until they
    // time out, with every new client queued behind them. The oldest idle one gives its
    // descriptor back now, as at the cap. Any other failure, or nothing idle to close: back off
    // rather than spin.
    bool freed = false;
    if (ec == net::error::no_descriptors || ec.value() == ENFILE) {
      if (auto evict = OldestEvictable()) {
        evict->Close();
        freed = true;
      }
    }
    accept_backoff_.expires_after(std::chrono::milliseconds(freed ? 1 : 50));
    accept_backoff_.async_wait([this](const boost::system::error_code& wec) {
      if (!wec) Accept();
    });
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::shared_ptr<ConnectionBase> evict;
  {
    std::lock_guard lock(connections_mu_);
    if (connections_.size() >= max_connections_) evict = OldestEvictableLocked();
  }
  if (evict) {
    evict->Close();
  } else if (open_connections() >= max_connections_) {
    socket.close(ignored);
    return Accept();
  }
  std::shared_ptr<ConnectionBase> connection;
  if (ssl_) {
    connection = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
        *this, std::move(socket), &*ssl_);
  } else {
    connection = std::make_shared<Connection<beast::tcp_stream>>(*this, std::move(socket), nullptr);
  }
  {
    std::lock_guard lock(connections_mu_);
    connection->registration_ = connections_.insert(connections_.end(), connection.get());
    connection->registered_ = true;
  }
  connection->Start();
  Accept();
}

void RestServer::Impl::Dispatch(std::shared_ptr<ConnectionBase> connection, HttpRequest request) {
  bool posted = pool_.Post([this, connection, request = std::move(request)]() mutable {
    std::optional<api::StreamLimiter::Slot> slot;
    HttpResponse response = Serve(request, slot);
    connection->Respond(std::move(response), std::move(slot));
  });
  if (!posted) connection->Close();
}

HttpResponse RestServer::Impl::Serve(HttpRequest& r,
                                     std::optional<api::StreamLimiter::Slot>& slot) {
  const auto started = Clock::now();
  std::string resource = ResourceLabel(r.path);
  HttpResponse response;
  if (stopped_) {
    response = ErrorResponse(api::Status(api::Code::kUnavailable, "server is stopping"));
  } else if (r.path == "/healthz" || r.path == "/readyz") {
    response = handler_.Handle(r);
  } else if (options_.own_auth_routes && options_.own_auth_routes(r, response, resource)) {
    // answered, authentication included
  } else if (auto who = handler_.Authenticate(r); !who.ok()) {
    response = ErrorResponse(who.status());
    response.headers["WWW-Authenticate"] = "Bearer";
  } else {
    const api::Principal* principal = who->has_value() ? &**who : nullptr;
    api::Status allowed = principal ? handler_.Authorize(*principal, r) : api::Status();
    if (!allowed.ok()) {
      response = ErrorResponse(allowed);
    } else if (!(options_.extra_routes && options_.extra_routes(r, principal, response))) {
      response = handler_.Handle(r, principal);
    }
    if (response.long_lived) {
      auto acquired = limiter_->Acquire(principal ? principal->user : "");
      if (acquired.ok()) {
        slot = std::move(*acquired);
      } else {
        if (response.watch) response.watch->Cancel();
        response = JsonError(429, "TooManyRequests", acquired.status().message());
      }
    }
  }
  if (options_.on_request) {
    options_.on_request(r.method, resource, response.status,
                        std::chrono::duration<double>(Clock::now() - started).count());
  }
  return response;
}

void RestServer::Impl::Stop() {
  if (stopped_.exchange(true)) return;
  if (!work_) return;  // never opened
  std::promise<void> closed;
  net::dispatch(acceptor_.get_executor(), [&] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    accept_backoff_.cancel(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
  std::vector<std::shared_ptr<ConnectionBase>> open;
  {
    std::lock_guard lock(connections_mu_);
    for (ConnectionBase* c : connections_)
      if (auto alive = c->weak_from_this().lock()) open.push_back(std::move(alive));
  }
  for (auto& c : open) c->Close();
  open.clear();
  auto deadline = Clock::now() + std::chrono::seconds(3);
  while (open_connections() > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  pool_.Shutdown();  // work in flight finishes; its answers go to closed connections
  work_.reset();
  ioc_.stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
}

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
size_t RestServer::open_connections() const { return impl_->open_connections(); }

}  // namespace gantry::rest
