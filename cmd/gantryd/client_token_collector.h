#pragma once

// Deletes RunTask/StartTask clientToken records once their 24 hours are over, once a minute, on
// a thread of its own (a sweep of the store is too slow for a clock timer's callback). The
// records are raw store keys outside /registry/ (api/fleet/launch_tokens.h), so no controller
// sees them; everything else periodic is a controller on the injected clock.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "api/fleet/task_service.h"

namespace gantry {

class ClientTokenCollector {
 public:
  explicit ClientTokenCollector(fleet::TaskService& tasks);
  ~ClientTokenCollector();  // stops and joins

 private:
  void Run();

  fleet::TaskService& tasks_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gantry
