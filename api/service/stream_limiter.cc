#include "api/service/stream_limiter.h"

namespace gantry::api {

StreamLimiter::Slot& StreamLimiter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = other.owner_;
    user_ = std::move(other.user_);
    other.owner_ = nullptr;
  }
  return *this;
}

void StreamLimiter::Slot::Release() {
  if (owner_ != nullptr) owner_->Release(user_);
  owner_ = nullptr;
}

StatusOr<StreamLimiter::Slot> StreamLimiter::Acquire(const std::string& user) {
  std::lock_guard lock(mu_);
  if (open_ >= max_total_) {
    return Status(Code::kResourceExhausted, "too many open streams (the server allows " +
                                                std::to_string(max_total_) +
                                                " in all); retry later");
  }
  if (!user.empty()) {
    size_t& mine = per_user_[user];
    if (mine >= max_per_user_) {
      return Status(Code::kResourceExhausted,
                    "user \"" + user + "\" has " + std::to_string(mine) +
                        " open streams, the most one user may hold; close some first");
    }
    ++mine;
  }
  ++open_;
  return Slot(this, user);
}

void StreamLimiter::Release(const std::string& user) {
  std::lock_guard lock(mu_);
  --open_;
  if (user.empty()) return;
  auto it = per_user_.find(user);
  if (it != per_user_.end() && --it->second == 0) per_user_.erase(it);
}

size_t StreamLimiter::open() const {
  std::lock_guard lock(mu_);
  return open_;
}

size_t StreamLimiter::open_for(const std::string& user) const {
  std::lock_guard lock(mu_);
  auto it = per_user_.find(user);
  return it == per_user_.end() ? 0 : it->second;
}

}  // namespace gantry::api
