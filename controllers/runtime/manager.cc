#include "controllers/runtime/manager.h"

namespace gantry::controllers::runtime {

Manager::Manager(client::Client& client, clock::Clock& clock) : informers_(client, clock) {}

Manager::~Manager() { Stop(); }

void Manager::Add(Controller& controller) {
  std::lock_guard lock(mu_);
  controllers_.push_back(&controller);
}

api::Status Manager::Start(std::chrono::milliseconds sync_timeout) {
  informers_.Start();
  if (!informers_.WaitForCacheSync(sync_timeout)) {
    return api::Status(api::Code::kDeadlineExceeded, "informers did not list their kinds within " +
                                                         std::to_string(sync_timeout.count()) +
                                                         " ms");
  }
  if (await_leadership_ && !await_leadership_()) {
    return api::Status(api::Code::kAborted, "gave up waiting for leadership");
  }
  std::lock_guard lock(mu_);
  for (Controller* c : controllers_) c->Start();
  started_ = true;
  return {};
}

void Manager::Stop() {
  {
    std::lock_guard lock(mu_);
    for (Controller* c : controllers_) c->Stop();
    controllers_.clear();
    started_ = false;
  }
  informers_.Stop();
}

}  // namespace gantry::controllers::runtime
