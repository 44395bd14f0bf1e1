// Findings 4 and 11 of issue 8, against a real gantryd.
//
// Finding 4: every gRPC Objects.Watch took an OS thread of its own, with no cap: 3,000 watches
// made 3,052 threads, and under a low thread limit watches the clients had cancelled never
// ended and SIGTERM hung. Now a watch is a reactor on gRPC's callback API (no thread of its
// own), holds a slot of the shared stream limiter, and shutdown ends open watches.
//
// Finding 11: the REST watch cap (1,000) was global, so one viewer holding every slot locked out
// an admin; and an unpaginated list was built whole in memory: 20 parallel `GET /events` of
// 21 MB each peaked at 2.65 GB RSS and kept 2.1 GB afterwards. Now watches (REST and gRPC share
// one limiter) are capped per user as well as in all, and an unpaginated list is streamed a
// page at a time.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gantry/v1/services.grpc.pb.h"
#include "tests/testlib/gantry_processes.h"

namespace gantry {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr long long kMiB = 1 << 20;
// What gantryd may keep above its start after the lists: its caches (see ListMemoryTest).
constexpr long long kKeptAfterLists = 96 * kMiB;
constexpr const char* kPrefix = "/apis/gantry.dev/v1/";

// A "Name:   123 kB" line of /proc/PID/status, in bytes (or the bare number for Threads:).
long long StatusField(pid_t pid, const std::string& field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    std::istringstream in(line.substr(field.size() + 1));
    long long value = 0;
    std::string unit;
    in >> value >> unit;
    return unit == "kB" ? value * 1024 : value;
  }
  return -1;
}

// Samples a /proc/PID/status field every 10 ms on a thread of its own and keeps the largest.
class PeakSampler {
 public:
  PeakSampler(pid_t pid, std::string field) : pid_(pid), field_(std::move(field)) {
    peak_ = StatusField(pid_, field_);
    thread_ = std::thread([this] {
      while (!stop_) {
        long long v = StatusField(pid_, field_);
        long long seen = peak_.load();
        while (v > seen && !peak_.compare_exchange_weak(seen, v)) {
        }
        std::this_thread::sleep_for(milliseconds(10));
      }
    });
  }
  ~PeakSampler() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long long peak() const { return peak_.load(); }

 private:
  pid_t pid_;
  std::string field_;
  std::atomic<long long> peak_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ---- gRPC watches on the callback API: 3,000 of them without 3,000 threads here either ----

class WatchCall : public grpc::ClientReadReactor<v1::WatchEvent> {
 public:
  WatchCall(v1::Objects::Stub& stub, const std::string& kind, const std::string& token) {
    if (!token.empty()) context_.AddMetadata("authorization", "Bearer " + token);
    request_.set_kind(kind);
    stub.async()->Watch(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows
    events_.fetch_add(1);
    StartRead(&event_);
  }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard lock(mu_);
    status_ = status;
    done_ = true;
    cv_.notify_all();
  }

  void Cancel() { context_.TryCancel(); }
  int events() const { return events_.load(); }
  bool done() {
    std::lock_guard lock(mu_);
    return done_;
  }
  // False if the call has not ended within `timeout`.
  bool WaitDone(milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done_; });
  }
  grpc::Status status() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  grpc::ClientContext context_;
  v1::WatchRequest request_;
  v1::WatchEvent event_;
  std::atomic<int> events_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  grpc::Status status_;
};

// Many watches over a few connections; cancels and waits for them at destruction (a reactor
// must outlive its call).
class Watches {
 public:
  Watches(const std::string& address, size_t channels) {
    for (size_t i = 0; i < channels; ++i) {
      grpc::ChannelArguments args;
      // A connection per channel: gRPC would otherwise share one subchannel among them.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
      stubs_.push_back(v1::Objects::NewStub(channel));
    }
  }
  ~Watches() { CancelAll(seconds(10)); }

  WatchCall& Open(const std::string& kind, const std::string& token = "") {
    auto& stub = *stubs_[calls_.size() % stubs_.size()];
    calls_.push_back(std::make_unique<WatchCall>(stub, kind, token));
    return *calls_.back();
  }
  size_t size() const { return calls_.size(); }
  WatchCall& operator[](size_t i) { return *calls_[i]; }

  size_t Count(const std::function<bool(WatchCall&)>& pred) {
    size_t n = 0;
    for (auto& c : calls_)
      if (pred(*c)) ++n;
    return n;
  }

  // True if every call ended within `timeout`. A call that did not is leaked rather than
  // destroyed under gRPC's feet.
  bool CancelAll(milliseconds timeout) {
    for (auto& c : calls_) c->Cancel();
    auto deadline = Clock::now() + timeout;
    bool all = true;
    for (auto& c : calls_) {
      auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (!c->WaitDone(std::max(left, milliseconds(0)))) {
        all = false;
        (void)c.release();
      }
    }
    calls_.clear();
    return all;
  }

 private:
  std::vector<std::unique_ptr<v1::Objects::Stub>> stubs_;
  std::vector<std::unique_ptr<WatchCall>> calls_;
};

std::string ClusterJson(const std::string& name, int round) {
  return json{{"apiVersion", "gantry.dev/v1"},
              {"kind", "Cluster"},
              {"metadata", {{"name", name}, {"labels", {{"round", std::to_string(round)}}}}}}
      .dump();
}

// Watches have no "I am open" message: each is open once it has delivered an event. Changes a
// cluster until every watch in `watches` has seen one (a watch started after a change sees only
// the next), or `timeout` passes.
bool UntilEveryWatchHasAnEvent(const testlib::Gantryd& gantryd, const std::string& token,
                               Watches& watches, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (int round = 0; Clock::now() < deadline; ++round) {
    auto r = gantryd.Http(token).Request("PUT", std::string(kPrefix) + "clusters/watched",
                                         ClusterJson("watched", round));
    if (!r.ok() || (r->status != 200 && r->status != 201)) return false;
    auto settle = Clock::now() + milliseconds(500);
    while (Clock::now() < settle) {
      if (watches.Count([](WatchCall& c) { return c.events() > 0; }) == watches.size()) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  return false;
}

bool Healthy(const testlib::Gantryd& gantryd) {
  auto r = gantryd.Http("", seconds(5)).Request("GET", "/healthz");
  return r.ok() && r->status == 200;
}

grpc::Status GrpcList(const testlib::Gantryd& gantryd, const std::string& kind) {
  auto stub = v1::Objects::NewStub(
      grpc::CreateChannel(gantryd.grpc_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + seconds(10));
  v1::ListRequest req;
  req.set_kind(kind);
  v1::ListResponse resp;
  return stub->List(&ctx, req, &resp);
}

// ---- finding 4: a thread per gRPC watch ----

class GrpcWatchThreadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(gantryd_.ready()) << gantryd_.log();
    // gRPC and the REST server start some threads on first use: the base is taken after both
    // served a call.
    ASSERT_TRUE(Healthy(gantryd_));
    grpc::Status st = GrpcList(gantryd_, "clusters");
    ASSERT_TRUE(st.ok()) << st.error_message();
    std::this_thread::sleep_for(milliseconds(200));
    base_threads_ = StatusField(gantryd_.process().pid(), "Threads");
    ASSERT_GT(base_threads_, 0);
  }

  // Authentication off (every caller is the same anonymous user): only the total cap applies,
  // raised here so 3,000 watches fit.
  testlib::Gantryd gantryd_{{"--max-streams", "5000", "--max-streams-per-user", "5000"}};
  long long base_threads_ = 0;
};

TEST_F(GrpcWatchThreadsTest, ThreeThousandWatchesDoNotTakeAThreadEach) {
  const pid_t pid = gantryd_.process().pid();
  PeakSampler threads(pid, "Threads");
  {
    Watches watches(gantryd_.grpc_address(), 8);
    for (int i = 0; i < 3000; ++i) watches.Open("clusters");
    ASSERT_TRUE(UntilEveryWatchHasAnEvent(gantryd_, "", watches, seconds(60)))
        << watches.Count([](WatchCall& c) { return c.events() > 0; }) << " of 3000 watches open, "
        << watches.Count([](WatchCall& c) { return c.done(); }) << " ended\n"
        << gantryd_.log();
    EXPECT_EQ(watches.Count([](WatchCall& c) { return c.done(); }), 0u);
    const long long open_threads = StatusField(pid, "Threads");
    EXPECT_LT(open_threads, base_threads_ + 64)
        << "3000 open watches: " << open_threads << " threads, " << base_threads_ << " before";

    // Every watch cancelled by its client ends, and the threads stay few while they do.
    EXPECT_TRUE(watches.CancelAll(seconds(20))) << "cancelled watches did not end";
  }
  EXPECT_LT(threads.peak(), base_threads_ + 64)
      << "peak " << threads.peak() << " threads, " << base_threads_ << " before";
  EXPECT_TRUE(Healthy(gantryd_));
  grpc::Status st = GrpcList(gantryd_, "clusters");
  EXPECT_TRUE(st.ok()) << st.error_message();
  // The server's watches are gone too: new ones still fit under the cap after 3,000 came and
  // went (the cap is 5,000, so 3,000 leaked slots would refuse these).
  {
    Watches again(gantryd_.grpc_address(), 2);
    for (int i = 0; i < 2500; ++i) again.Open("clusters");
    EXPECT_TRUE(UntilEveryWatchHasAnEvent(gantryd_, "", again, seconds(60)))
        << again.Count([](WatchCall& c) { return c.done(); }) << " of 2500 ended: "
        << (again.size() && again[0].done() ? again[0].status().error_message() : "");
  }
  threads.Stop();

  auto stopping = Clock::now();
  gantryd_.process().Signal(SIGTERM);
  EXPECT_EQ(gantryd_.process().Wait(seconds(10)), 0) << gantryd_.log();
  EXPECT_LT(Clock::now() - stopping, seconds(10));
}

TEST_F(GrpcWatchThreadsTest, SigtermWithAThousandOpenWatchesExits) {
  Watches watches(gantryd_.grpc_address(), 4);
  for (int i = 0; i < 1000; ++i) watches.Open("clusters");
  ASSERT_TRUE(UntilEveryWatchHasAnEvent(gantryd_, "", watches, seconds(30))) << gantryd_.log();
  EXPECT_LT(StatusField(gantryd_.process().pid(), "Threads"), base_threads_ + 64);

  auto stopping = Clock::now();
  gantryd_.process().Signal(SIGTERM);
  int exit_code = gantryd_.process().Wait(seconds(10));
  double took = std::chrono::duration<double>(Clock::now() - stopping).count();
  EXPECT_EQ(exit_code, 0) << "took " << took << " s\n" << gantryd_.log();
  // The server ended the watches it had open: the clients see them end, not hang.
  EXPECT_TRUE(testlib::Eventually(
      [&] { return watches.Count([](WatchCall& c) { return c.done(); }) == watches.size(); },
      seconds(10)));
}

// ---- finding 11: watch caps per user ----

constexpr const char* kTokens =
    "admin-token-0001,alice,admin\n"
    "editor-token-001,erin,editor\n"
    "viewer-token-001,victor,viewer\n";
constexpr const char* kAdmin = "admin-token-0001";
constexpr const char* kEditor = "editor-token-001";
constexpr const char* kViewer = "viewer-token-001";

// A REST watch on a raw socket: open for as long as this object lives.
class RestWatch {
 public:
  RestWatch(int port, const std::string& token) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    std::string request = std::string("GET ") + kPrefix +
                          "clusters?watch=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Authorization: Bearer " +
                          token + "\r\n\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size()))
      return;
    // The status line and headers come at once, for a watch (chunked, endless) and a refusal.
    // A refusal also has a body (Content-Length), which says which cap was hit.
    auto deadline = Clock::now() + seconds(10);
    auto complete = [&] {
      size_t end = response_.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      std::string head = response_.substr(0, end);
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t length = head.find("\r\ncontent-length:");
      if (length == std::string::npos) return true;  // the watch: chunked, endless
      return response_.size() >= end + 4 + std::stoul(head.substr(length + 17));
    };
    while (!complete() && Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buffer[4096];
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      response_.append(buffer, static_cast<size_t>(n));
    }
    if (response_.rfind("HTTP/1.1 ", 0) == 0 && response_.size() >= 12)
      status_ = std::atoi(response_.substr(9, 3).c_str());
  }
  ~RestWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  RestWatch(const RestWatch&) = delete;
  RestWatch& operator=(const RestWatch&) = delete;

  int status() const { return status_; }
  const std::string& response() const { return response_; }

 private:
  int fd_ = -1;
  int status_ = 0;
  std::string response_;
};

class WatchCapTest : public ::testing::Test {
 protected:
  WatchCapTest()
      : tokens_(dir_.path() + "/tokens.csv"), gantryd_([&] {
          std::ofstream(tokens_) << kTokens;
          ::chmod(tokens_.c_str(), 0600);
          // Three per user, eight in all: three users can fill the total without any of them
          // passing their own cap.
          return std::vector<std::string>{"--token-file",  tokens_, "--max-streams-per-user", "3",
                                          "--max-streams", "8"};
        }()) {}

  void SetUp() override { ASSERT_TRUE(gantryd_.ready()) << gantryd_.log(); }

  std::unique_ptr<RestWatch> Rest(const std::string& token) {
    return std::make_unique<RestWatch>(gantryd_.port(), token);
  }

  testlib::TempDir dir_;
  std::string tokens_;
  testlib::Gantryd gantryd_;
};

TEST_F(WatchCapTest, OneUserCannotTakeEverySlot) {
  // The viewer takes its three slots...
  std::vector<std::unique_ptr<RestWatch>> viewer;
  for (int i = 0; i < 3; ++i) {
    viewer.push_back(Rest(kViewer));
    ASSERT_EQ(viewer.back()->status(), 200) << viewer.back()->response();
  }
  // ...and a fourth is refused, over REST and gRPC alike (one limiter for both).
  auto fourth = Rest(kViewer);
  EXPECT_EQ(fourth->status(), 429) << fourth->response();
  EXPECT_NE(fourth->response().find("victor\\\" has 3 open streams"), std::string::npos)
      << fourth->response();
  Watches grpc_watches(gantryd_.grpc_address(), 1);
  WatchCall& viewer_grpc = grpc_watches.Open("clusters", kViewer);
  ASSERT_TRUE(viewer_grpc.WaitDone(seconds(10)));
  EXPECT_EQ(viewer_grpc.status().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << viewer_grpc.status().error_message();

  // The admin is not locked out: a REST watch and a gRPC watch, both open (the gRPC one
  // delivers an event).
  auto admin = Rest(kAdmin);
  EXPECT_EQ(admin->status(), 200) << admin->response();
  Watches admin_grpc(gantryd_.grpc_address(), 1);
  admin_grpc.Open("clusters", kAdmin);
  EXPECT_TRUE(UntilEveryWatchHasAnEvent(gantryd_, kAdmin, admin_grpc, seconds(10)))
      << (admin_grpc[0].done() ? admin_grpc[0].status().error_message() : "no event");

  // Closing one of the viewer's watches gives its slot back.
  viewer.pop_back();
  std::unique_ptr<RestWatch> again;
  EXPECT_TRUE(testlib::Eventually(
      [&] {
        again = Rest(kViewer);
        return again->status() == 200;
      },
      seconds(5)))
      << again->response();
  // The viewer is at its cap again.
  EXPECT_EQ(Rest(kViewer)->status(), 429);

  // The total cap still holds: viewer 3 + admin 2 + editor 3 fill all 8 slots, and the admin's
  // third is refused although the admin holds fewer than its three.
  std::vector<std::unique_ptr<RestWatch>> editor;
  for (int i = 0; i < 3; ++i) {
    editor.push_back(Rest(kEditor));
    EXPECT_EQ(editor.back()->status(), 200) << editor.back()->response();
  }
  auto admin3 = Rest(kAdmin);
  EXPECT_EQ(admin3->status(), 429) << admin3->response();
  EXPECT_NE(admin3->response().find("in all"), std::string::npos) << admin3->response();
}

// ---- finding 11: unpaginated lists ----

TEST(ListMemoryTest, TwentyConcurrentFullListsStayWithinBounds) {
  if (testlib::kAddressSanitizer) {
    GTEST_SKIP() << "RSS bounds are figures of the release build (see testlib::kAddressSanitizer)";
  }
  // Size: 10,000 Events of ~2 KB each, a 21 MB list body, the size of the reproducer.
  // The old server built each answer whole: at the very least one 21 MB string per list (it
  // also held the decoded objects, and measured 2.65 GB for twenty), so twenty concurrent
  // lists held over 420 MB, past the 300 MB bound below. Streamed a page (500 objects, ~1 MB)
  // at a time, twenty lists hold twenty pages (measured: ~150 MB in all). Few large objects
  // rather than many small ones keep the set-up to a few seconds on two cores.
  constexpr int kObjects = 10'000;
  constexpr int kLists = 20;
  testlib::Gantryd gantryd;
  ASSERT_TRUE(gantryd.ready()) << gantryd.log();
  const pid_t pid = gantryd.process().pid();

  // Created over gRPC by eight threads: one connection, and concurrent writes share commits.
  {
    auto channel = grpc::CreateChannel(gantryd.grpc_address(), grpc::InsecureChannelCredentials());
    auto stub = v1::Objects::NewStub(channel);
    const std::string message(2000, 'm');
    std::atomic<int> next{0}, failed{0};
    std::string first_error;
    std::mutex error_mu;
    std::vector<std::thread> writers;
    auto started = Clock::now();
    for (int t = 0; t < 8; ++t) {
      writers.emplace_back([&] {
        for (int i = next++; i < kObjects; i = next++) {
          v1::ApplyRequest req;
          v1::Event* ev = req.mutable_object()->mutable_event();
          ev->set_api_version("gantry.dev/v1");
          ev->set_kind("Event");
          char name[32];
          std::snprintf(name, sizeof name, "list-%05d", i);
          ev->mutable_metadata()->set_name(name);
          ev->mutable_spec()->set_type("Normal");
          ev->mutable_spec()->set_reason("ListMemoryTest");
          ev->mutable_spec()->set_message(message);
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + seconds(30));
          v1::ApplyResponse resp;
          grpc::Status st = stub->Apply(&ctx, req, &resp);
          if (!st.ok()) {
            std::lock_guard lock(error_mu);
            if (failed++ == 0) first_error = st.error_message();
          }
        }
      });
    }
    for (auto& w : writers) w.join();
    ASSERT_EQ(failed.load(), 0) << first_error;
    std::cerr << "created " << kObjects << " events in "
              << std::chrono::duration<double>(Clock::now() - started).count() << " s\n";
  }

  std::this_thread::sleep_for(milliseconds(500));
  const long long rss_before = StatusField(pid, "VmRSS");
  ASSERT_GT(rss_before, 0);

  struct Result {
    int status = 0;
    std::string error;
    std::string body;
  };
  // Twenty concurrent unpaginated lists; returns gantryd's peak RSS while they ran. Without
  // `keep`, only the first bytes of each body are kept (the size is in `error` when short).
  auto run_lists = [&](std::vector<Result>& results, bool keep) {
    PeakSampler rss(pid, "VmRSS");
    std::vector<std::thread> readers;
    for (int i = 0; i < kLists; ++i) {
      readers.emplace_back([&, i] {
        auto r = gantryd.Http("", seconds(60)).Request("GET", std::string(kPrefix) + "events");
        if (!r.ok()) {
          results[i].error = r.status().ToString();
          return;
        }
        results[i].status = r->status;
        if (!keep && r->body.size() < size_t{kObjects} * 2000)
          results[i].error = "short body: " + std::to_string(r->body.size()) + " bytes";
        results[i].body = keep ? std::move(r->body) : r->body.substr(0, 300);
      });
    }
    for (auto& r : readers) r.join();
    rss.Stop();
    return rss.peak();
  };

  auto started = Clock::now();
  std::vector<Result> results(kLists);
  const long long peak = run_lists(results, true);
  const double lists_took = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_LE(peak - rss_before, 300 * kMiB)
      << "20 lists raised RSS by " << (peak - rss_before) / kMiB << " MiB";

  // Complete and consistent: every list has every object once, and all lists agree.
  std::vector<std::string> expected;
  for (int i = 0; i < kObjects; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "list-%05d", i);
    expected.push_back(name);
  }
  std::string first_version;
  for (int i = 0; i < kLists; ++i) {
    SCOPED_TRACE("list " + std::to_string(i));
    ASSERT_EQ(results[i].status, 200) << results[i].error << results[i].body.substr(0, 300);
    EXPECT_GT(results[i].body.size(), size_t{kObjects} * 2000);
    json list = json::parse(results[i].body, nullptr, false);
    ASSERT_FALSE(list.is_discarded())
        << "not JSON; ends with: " << results[i].body.substr(results[i].body.size() - 300);
    ASSERT_TRUE(list["items"].is_array());
    EXPECT_FALSE(list.contains("error")) << list["error"];
    std::vector<std::string> names;
    for (const auto& item : list["items"]) {
      std::string name = item["metadata"]["name"];
      if (name.rfind("list-", 0) != 0) continue;  // gantryd's own events, if any
      EXPECT_EQ(item["spec"]["message"].get<std::string>().size(), 2000u) << name;
      names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, expected) << names.size() << " of " << kObjects << " objects";
    // Nothing changed meanwhile, so every list is of the same revision.
    std::string version = list["metadata"]["resourceVersion"];
    if (i == 0) first_version = version;
    EXPECT_EQ(version, first_version);
    results[i].body.clear();
    results[i].body.shrink_to_fit();
  }

  // Afterwards. The old server kept 2.1 GB of its 2.65 GB peak. This one gives the freed pages
  // back within a few seconds (cmd/gantryd/memory_release: tcmalloc otherwise holds them for
  // reuse); what stays is caches: SQLite's four read connections keep 8 MiB page caches, and
  // tcmalloc its per-thread caches. And it must be a cache, not a leak: a second round of twenty
  // lists reuses it instead of adding to it.
  long long kept = StatusField(pid, "VmRSS");
  testlib::Eventually(
      [&] {
        kept = std::min(kept, StatusField(pid, "VmRSS"));
        return kept - rss_before <= kKeptAfterLists;
      },
      std::chrono::seconds(15));
  EXPECT_LE(kept - rss_before, kKeptAfterLists)
      << "RSS stayed " << (kept - rss_before) / kMiB << " MiB above where it started";
  std::vector<Result> again(kLists);
  const long long peak_again = run_lists(again, false);
  for (int i = 0; i < kLists; ++i) {
    EXPECT_EQ(again[i].status, 200) << again[i].error << again[i].body;
    EXPECT_EQ(again[i].error, "");
  }
  EXPECT_LE(peak_again - peak, 32 * kMiB) << "a second round of lists raised the peak from "
                                          << peak / kMiB << " to " << peak_again / kMiB << " MiB";
  EXPECT_LE(StatusField(pid, "VmRSS") - rss_before, 300 * kMiB);
  std::cerr << "ListMemoryTest: RSS " << rss_before / kMiB << " MiB before the lists, peak "
            << peak / kMiB << " MiB, kept " << kept / kMiB << " MiB, second peak "
            << peak_again / kMiB << " MiB; first round (with parsing) " << lists_took << " s\n";
  EXPECT_TRUE(Healthy(gantryd));
}

}  // namespace
}  // namespace gantry
