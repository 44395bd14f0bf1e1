#include "cmd/gantryd/client_token_collector.h"

#include <chrono>

namespace gantry {

ClientTokenCollector::ClientTokenCollector(fleet::TaskService& tasks)
    : tasks_(tasks), thread_([this] { Run(); }) {}

ClientTokenCollector::~ClientTokenCollector() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ClientTokenCollector::Run() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::minutes(1), [&] { return stop_; })) {
    lock.unlock();
    (void)tasks_.CollectExpiredClientTokens();
    lock.lock();
  }
}

}  // namespace gantry
