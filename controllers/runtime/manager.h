#pragma once

// Runs a process's controllers (controller-runtime's Manager): starts the shared informers,
// waits until each has its first list, then starts every controller's workers; on Stop, the
// controllers drain first (no reconcile is cut short) and the informers stop after them.
//
// Leader election hooks in before any controller starts: with several gantryd replicas (a later
// issue puts them on etcd), only the leader reconciles, while every replica keeps its caches
// warm for a quick takeover.

#include <chrono>
#include <functional>
#include <mutex>
#include <vector>

#include "api/status/status.h"
#include "controllers/runtime/controller.h"
#include "controllers/runtime/informer_factory.h"

namespace gantry::controllers::runtime {

class Manager {
 public:
  // Blocks until this process leads (true) or should give up (false). The default leads at once.
  using AwaitLeadership = std::function<bool()>;

  // `client` and `clock` must outlive the manager.
  Manager(client::Client& client, clock::Clock& clock);
  ~Manager();  // Stop
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  InformerFactory& informers() { return informers_; }
  // Before Start; the controller must outlive the manager's Stop.
  void Add(Controller& controller);
  void SetLeaderElection(AwaitLeadership await) { await_leadership_ = std::move(await); }

  // Starts informers, waits up to `sync_timeout` for their first lists (else kDeadlineExceeded),
  // waits for leadership (kAborted when given up), then starts the controllers.
  api::Status Start(std::chrono::milliseconds sync_timeout);
  void Stop();

 private:
  InformerFactory informers_;
  AwaitLeadership await_leadership_;
  std::mutex mu_;
  std::vector<Controller*> controllers_;
  bool started_ = false;
};

}  // namespace gantry::controllers::runtime
