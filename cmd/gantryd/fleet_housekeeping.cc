#include "cmd/gantryd/fleet_housekeeping.h"

namespace gantry {

FleetHousekeeping::FleetHousekeeping(fleet::InstanceService& instances, fleet::TaskService& tasks)
    : instances_(instances), tasks_(tasks), thread_([this] { Run(); }) {}

FleetHousekeeping::~FleetHousekeeping() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void FleetHousekeeping::Run() {
  auto next_collection = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; })) {
    lock.unlock();
    instances_.Tick();
    if (std::chrono::steady_clock::now() >= next_collection) {
      next_collection = std::chrono::steady_clock::now() + std::chrono::minutes(1);
      (void)tasks_.CollectExpiredClientTokens();
    }
    lock.lock();
  }
}

}  // namespace gantry
