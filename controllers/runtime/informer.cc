#include "controllers/runtime/informer.h"

#include <utility>

#include "gantry/v1/meta.pb.h"

namespace gantry::controllers::runtime {
namespace {

constexpr size_t kListPage = 500;
// After a failed list or watch; a compacted revision relists at once instead.
constexpr auto kRetryDelay = std::chrono::seconds(1);

const std::string& NameOf(const google::protobuf::Message& object) {
  return schema::MetaOf(object).name();
}

}  // namespace

int64_t RevisionOf(const google::protobuf::Message& object) {
  const std::string& text = schema::MetaOf(object).resource_version();
  int64_t revision = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
    revision = revision * 10 + (c - '0');
  }
  return revision;
}

Informer::Informer(client::Client& client, const schema::KindInfo& kind, clock::Clock& clock)
    : client_(client), kind_(kind), clock_(clock) {}

Informer::~Informer() { Stop(); }

void Informer::AddEventHandlers(EventHandlers handlers) {
  handlers_.push_back(std::move(handlers));
}

void Informer::AddIndex(const std::string& name, IndexFunc index) {
  index_funcs_[name] = std::move(index);
}

void Informer::SetTransform(TransformFunc transform) { transform_ = std::move(transform); }

void Informer::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Run(); });
}

void Informer::Wake::Signal() {
  {
    std::lock_guard lock(mu);
    woken = true;
  }
  cv.notify_all();
}

void Informer::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  {
    std::lock_guard lock(wake_->mu);
    wake_->stop = true;
  }
  wake_->cv.notify_all();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Informer::HasSynced() const {
  std::lock_guard lock(mu_);
  return synced_;
}

bool Informer::WaitForSync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return synced_; });
}

int64_t Informer::ObservedRevision() const {
  std::lock_guard lock(mu_);
  return observed_;
}

bool Informer::WaitForRevision(int64_t revision, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return observed_ >= revision; });
}

int64_t Informer::lists() const {
  std::lock_guard lock(mu_);
  return lists_;
}

ObjectRef Informer::Get(const std::string& name) const {
  std::shared_lock lock(cache_mu_);
  auto it = items_.find(name);
  return it == items_.end() ? nullptr : it->second;
}

std::vector<ObjectRef> Informer::List() const {
  std::shared_lock lock(cache_mu_);
  std::vector<ObjectRef> out;
  out.reserve(items_.size());
  for (const auto& [name, object] : items_) out.push_back(object);
  return out;
}

std::vector<ObjectRef> Informer::ByIndex(const std::string& index, const std::string& value) const {
  std::shared_lock lock(cache_mu_);
  std::vector<ObjectRef> out;
  auto by_value = indexes_.find(index);
  if (by_value == indexes_.end()) return out;
  auto objects = by_value->second.find(value);
  if (objects == by_value->second.end()) return out;
  out.reserve(objects->second.size());
  for (const auto& [name, object] : objects->second) out.push_back(object);
  return out;
}

void Informer::Run() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    int64_t revision = 0;
    if (!Relist(revision)) {
      Sleep(kRetryDelay);
      continue;
    }
    if (revision != 0) {
      Watch(revision);
      continue;
    }
    // Nothing was ever written: to the store a watch "after revision 0" means "from now", which
    // would miss what is written between the list and the watch. So the watch opens first and
    // the list is taken again; what the watch repeats of that list is skipped.
    auto watch = client_.Watch(kind_, "", "");
    if (!watch.ok()) {
      Sleep(kRetryDelay);
      continue;
    }
    int64_t listed = 0;
    if (!Relist(listed)) {
      Sleep(kRetryDelay);
      continue;
    }
    Follow(**watch, listed);
  }
}

bool Informer::Relist(int64_t& revision) {
  std::map<std::string, ObjectRef> listed;
  client::ListOptions options;
  options.limit = kListPage;
  do {
    auto page = client_.List(kind_, options);
    if (!page.ok()) return false;
    // Each page is consistent in itself; the watch starts from the first page's revision, so
    // a change made while later pages were read is delivered again (and applied idempotently).
    if (revision == 0) revision = page->revision;
    for (auto& item : page->items) {
      std::string name = NameOf(*item);
      listed[std::move(name)] = ObjectRef(std::move(item));
    }
    options.continue_token = page->continue_token;
  } while (!options.continue_token.empty());

  std::vector<std::string> gone;
  {
    std::shared_lock lock(cache_mu_);
    for (const auto& [name, object] : items_) {
      if (!listed.count(name)) gone.push_back(name);
    }
  }
  for (auto& [name, object] : listed) Upsert(object);
  for (const std::string& name : gone) Remove(name);
  CaughtUp();
  {
    std::lock_guard lock(mu_);
    ++lists_;
    synced_ = true;
    if (revision > observed_) observed_ = revision;
  }
  cv_.notify_all();
  return true;
}

void Informer::Watch(int64_t revision) {
  auto watch = client_.Watch(kind_, std::to_string(revision), "");
  if (!watch.ok()) {
    // A compacted revision (410 Gone) relists at once; anything else waits first.
    if (watch.status().code() != api::Code::kOutOfRange) Sleep(kRetryDelay);
    return;
  }
  Follow(**watch, revision);
}

void Informer::Follow(client::WatchStream& stream, int64_t listed) {
  stream.SetNotify([wake = std::weak_ptr<Wake>(wake_)] {
    if (auto w = wake.lock()) w->Signal();
  });
  // A revision counts as observed only once all of its changes are applied: a transaction's
  // changes arrive one by one, and a writer waiting for its revision must find every one.
  int64_t applying = 0;  // the revision of the changes being applied; 0: none since caught up
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    client::WatchEvent event;
    switch (stream.Next(event, std::chrono::milliseconds(0))) {
      case client::WatchStream::Poll::kEvent: {
        const int64_t at = RevisionOf(*event.object);
        if (at <= listed) continue;  // the list already had it
        if (applying != 0 && at != applying) Observe(applying);
        applying = at;
        if (event.type == client::WatchEvent::Type::kDeleted) {
          Remove(NameOf(*event.object));
        } else {
          Upsert(ObjectRef(std::move(event.object)));
        }
        continue;
      }
      case client::WatchStream::Poll::kTimeout:
        // The watch is drained, and the store hands a watcher each commit whole.
        if (applying != 0) {
          Observe(applying);
          applying = 0;
          CaughtUp();
        }
        Sleep(std::nullopt);
        continue;
      case client::WatchStream::Poll::kClosed:
        break;
    }
    break;
  }
  stream.SetNotify(nullptr);
  stream.Cancel();
}

void Informer::CaughtUp() {
  for (const EventHandlers& h : handlers_) {
    if (h.on_caught_up) h.on_caught_up();
  }
}

void Informer::Upsert(ObjectRef object) {
  if (transform_) object = transform_(std::move(object));
  const std::string& name = NameOf(*object);
  ObjectRef before;
  {
    std::unique_lock lock(cache_mu_);
    auto it = items_.find(name);
    if (it != items_.end()) {
      before = it->second;
      // A relist or a replayed event of the version already cached changes nothing.
      if (schema::MetaOf(*before).resource_version() == schema::MetaOf(*object).resource_version())
        return;
    }
    IndexLocked(name, before.get(), object);
    items_[name] = object;
  }
  for (const EventHandlers& h : handlers_) {
    if (before) {
      if (h.on_update) h.on_update(before, object);
    } else if (h.on_add) {
      h.on_add(object);
    }
  }
}

void Informer::Remove(const std::string& name) {
  ObjectRef before;
  {
    std::unique_lock lock(cache_mu_);
    auto it = items_.find(name);
    if (it == items_.end()) return;
    before = it->second;
    IndexLocked(name, before.get(), nullptr);
    items_.erase(it);
  }
  for (const EventHandlers& h : handlers_) {
    if (h.on_delete) h.on_delete(before);
  }
}

void Informer::IndexLocked(const std::string& name, const google::protobuf::Message* before,
                           const ObjectRef& now) {
  for (const auto& [index, values_of] : index_funcs_) {
    auto& by_value = indexes_[index];
    if (before) {
      for (const std::string& v : values_of(*before)) {
        auto it = by_value.find(v);
        if (it == by_value.end()) continue;
        it->second.erase(name);
        if (it->second.empty()) by_value.erase(it);
      }
    }
    if (now) {
      for (const std::string& v : values_of(*now)) by_value[v].insert_or_assign(name, now);
    }
  }
}

void Informer::Observe(int64_t revision) {
  {
    std::lock_guard lock(mu_);
    if (revision <= observed_) return;
    observed_ = revision;
  }
  cv_.notify_all();
}

void Informer::Sleep(std::optional<clock::Clock::Duration> delay) {
  clock::TimerHandle timer;
  if (delay) {
    timer = clock_.AfterFunc(*delay, [wake = std::weak_ptr<Wake>(wake_)] {
      if (auto w = wake.lock()) w->Signal();
    });
  }
  {
    std::unique_lock lock(wake_->mu);
    wake_->cv.wait(lock, [this] { return wake_->stop || wake_->woken; });
    wake_->woken = false;
  }
  if (delay) timer.Stop();
}

}  // namespace gantry::controllers::runtime
