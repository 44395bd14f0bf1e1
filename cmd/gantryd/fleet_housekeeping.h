#pragma once

// gantryd's periodic fleet work on one thread: the instance lifecycle every second (silent
// agents disconnect, lost instances lose their tasks; the cluster controller keeps cluster
// counts), and once a minute the collection of tasks stopped longer than the retention window, with
// their output, and of clientToken records older than 24 hours.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/fleet/instance_service.h"
#include "api/fleet/task_log_store.h"
#include "api/fleet/task_service.h"

namespace gantry {

class FleetHousekeeping {
 public:
  FleetHousekeeping(fleet::InstanceService& instances, fleet::TaskService& tasks,
                    fleet::TaskLogStore& logs, const api::Clock& clock,
                    std::chrono::seconds task_retention);
  ~FleetHousekeeping();

 private:
  void Run();

  fleet::InstanceService& instances_;
  fleet::TaskService& tasks_;
  fleet::TaskLogStore& logs_;
  const api::Clock& clock_;
  const std::chrono::seconds task_retention_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gantry
