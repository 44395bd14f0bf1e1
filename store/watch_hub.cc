#include "store/watch_hub.h"

#include <algorithm>

namespace gantry::store {

class WatchHub::Watcher : public Watch {
 public:
  Watcher(std::string prefix, int64_t after, size_t max_buffered)
      : prefix_(std::move(prefix)), after_(after), max_buffered_(max_buffered) {}

  Poll Next(WatchEvent& event, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || closed_; });
    if (!queue_.empty()) {
      event = std::move(queue_.front());
      queue_.pop_front();
      return Poll::kEvent;
    }
    return closed_ ? Poll::kClosed : Poll::kTimeout;
  }

  void Cancel() override { Close("cancelled"); }

  void SetNotify(std::function<void()> notify) override {
    bool pending;
    {
      std::lock_guard lock(mu_);
      notify_ = std::make_shared<std::function<void()>>(std::move(notify));
      if (!*notify_) notify_.reset();
      pending = notify_ && (!queue_.empty() || closed_);
    }
    if (pending) Notify();
  }

  std::string closed_reason() const override {
    std::lock_guard lock(mu_);
    return reason_;
  }

  bool Matches(const WatchEvent& e) const {
    return e.kv.mod_revision > after_ && e.kv.key.starts_with(prefix_);
  }

  // Appends one commit's events under one lock, so a reader never sees part of a transaction.
  // Returns false when the watcher is closed (and can be dropped by the hub).
  bool Push(const std::vector<const WatchEvent*>& events) {
    bool open = true;
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      if (queue_.size() + events.size() > max_buffered_) {
        closed_ = true;
        reason_ = "watcher fell behind by more than " + std::to_string(max_buffered_) + " events";
        queue_.clear();
        cv_.notify_all();
        open = false;
      } else {
        for (const WatchEvent* e : events) queue_.push_back(*e);
        cv_.notify_one();
      }
    }
    Notify();
    return open;
  }

  void Prepend(std::vector<WatchEvent> history) {
    {
      std::lock_guard lock(mu_);
      queue_.insert(queue_.begin(), std::make_move_iterator(history.begin()),
                    std::make_move_iterator(history.end()));
      cv_.notify_all();
    }
    Notify();
  }

  void Close(const std::string& reason) {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
      reason_ = reason;
      cv_.notify_all();
    }
    Notify();
  }

  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }

 private:
  // Calls the callback outside mu_, so it may call Next() or Cancel() itself.
  void Notify() {
    std::shared_ptr<std::function<void()>> notify;
    {
      std::lock_guard lock(mu_);
      notify = notify_;
    }
    if (notify) (*notify)();
  }

  const std::string prefix_;
  const int64_t after_;
  const size_t max_buffered_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WatchEvent> queue_;
  bool closed_ = false;
  std::string reason_;
  std::shared_ptr<std::function<void()>> notify_;
};

namespace {

// The Watch handed to callers owns a reference to the hub's watcher; dropping it cancels.
class WatchHandle : public Watch {
 public:
  explicit WatchHandle(std::shared_ptr<WatchHub::Watcher> w) : w_(std::move(w)) {}
  ~WatchHandle() override {
    w_->SetNotify(nullptr);
    w_->Cancel();
  }
  Poll Next(WatchEvent& event, std::chrono::milliseconds timeout) override {
    return w_->Next(event, timeout);
  }
  void Cancel() override { w_->Cancel(); }
  std::string closed_reason() const override { return w_->closed_reason(); }
  void SetNotify(std::function<void()> notify) override { w_->SetNotify(std::move(notify)); }
  WatchHub::Watcher& watcher() { return *w_; }

 private:
  std::shared_ptr<WatchHub::Watcher> w_;
};

}  // namespace

WatchPtr WatchHub::Subscribe(std::string prefix, int64_t after, int64_t* published) {
  auto w = std::make_shared<Watcher>(std::move(prefix), after, max_buffered_);
  std::lock_guard lock(mu_);
  *published = published_;
  if (closed_) {
    w->Close("store closed");
  } else {
    watchers_.push_back(w);
  }
  return std::make_unique<WatchHandle>(std::move(w));
}

void PrependHistory(Watch& watch, std::vector<WatchEvent> history) {
  static_cast<WatchHandle&>(watch).watcher().Prepend(std::move(history));
}

void WatchHub::Publish(const std::vector<WatchEvent>& events) {
  std::lock_guard lock(mu_);
  std::vector<const WatchEvent*> matching;
  for (auto& w : watchers_) {
    matching.clear();
    for (const WatchEvent& e : events) {
      if (w->Matches(e)) matching.push_back(&e);
    }
    if (!matching.empty()) w->Push(matching);
  }
  for (const WatchEvent& e : events) published_ = std::max(published_, e.kv.mod_revision);
  std::erase_if(watchers_, [](const std::shared_ptr<Watcher>& w) { return w->closed(); });
}

void WatchHub::SetPublished(int64_t revision) {
  std::lock_guard lock(mu_);
  published_ = std::max(published_, revision);
}

void WatchHub::Close(const std::string& reason) {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (auto& w : watchers_) w->Close(reason);
  watchers_.clear();
}

size_t WatchHub::watcher_count() {
  std::lock_guard lock(mu_);
  std::erase_if(watchers_, [](const std::shared_ptr<Watcher>& w) { return w->closed(); });
  return watchers_.size();
}

}  // namespace gantry::store
