#pragma once

// gantryd's periodic fleet work on one thread: the instance lifecycle every second (silent
// agents disconnect, lost instances lose their tasks), and once a minute the collection of
// clientToken records older than 24 hours. Cluster counts and the collection of stopped tasks and
// events are controllers (controllers/cluster, controllers/gc).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/fleet/instance_service.h"
#include "api/fleet/task_service.h"

namespace gantry {

class FleetHousekeeping {
 public:
  FleetHousekeeping(fleet::InstanceService& instances, fleet::TaskService& tasks);
  ~FleetHousekeeping();

 private:
  void Run();

  fleet::InstanceService& instances_;
  fleet::TaskService& tasks_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gantry
