#include "agent/simulated_fleet.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "agent/agent.h"

namespace gantry::agent {
namespace {

// Reports per call. A call of all that changed (ten thousand after a burst of launches) could
// outlast its deadline under load; the fleet then sent it again while gantryd still applied the
// first, and the two conflicted on every task.
constexpr size_t kMaxReportsPerCall = 1000;

void Log(const std::string& line) { std::cerr << "gantry-agent: " << line << std::endl; }

constexpr int kRegisterBatch = 500;

}  // namespace

api::Status SimulatedFleet::Init() {
  // Instance k of the fleet is "<fleet id>-<k>", the fleet id persisting like a real identity.
  auto fleet = LoadOrCreateIdentity(options_.state_dir);
  if (!fleet.ok()) return fleet.status();
  std::string prefix = fleet->substr(0, 8);
  for (int k = 0; k < options_.simulate; ++k) {
    ids_.push_back("sim-" + prefix + "-" + std::to_string(k));
    mine_.insert(ids_.back());
  }
  return {};
}

std::vector<v1::InstanceRegistration> SimulatedFleet::Registrations() const {
  std::vector<v1::InstanceRegistration> out;
  out.reserve(ids_.size());
  for (size_t k = 0; k < ids_.size(); ++k) {
    v1::InstanceRegistration r;
    r.set_container_instance(ids_[k]);
    r.set_cluster(options_.cluster);
    r.set_ec2_instance_id(ids_[k]);
    auto add = [&](const std::string& name, const std::string& value) {
      auto* a = r.add_attributes();
      a->set_name(name);
      a->set_value(value);
    };
    add("ecs.os-type", "linux");
    add("ecs.cpu-architecture", "x86_64");
    if (!options_.simulate_zones.empty())
      add("ecs.availability-zone", options_.simulate_zones[k % options_.simulate_zones.size()]);
    if (!options_.simulate_types.empty())
      add("ecs.instance-type", options_.simulate_types[k % options_.simulate_types.size()]);
    for (const auto& [name, value] : options_.attributes) add(name, value);
    r.mutable_registered_resources()->set_cpu(options_.cpu > 0 ? options_.cpu : 2048);
    r.mutable_registered_resources()->set_memory(options_.memory > 0 ? options_.memory : 4096);
    for (int p : options_.ports) r.mutable_registered_resources()->add_ports(p);
    r.mutable_version_info()->set_agent_version(kAgentVersion);
    r.mutable_version_info()->set_docker_version("simulated");
    out.push_back(std::move(r));
  }
  return out;
}

bool SimulatedFleet::RegisterAll(const std::atomic<bool>& stop, const std::set<std::string>* only) {
  auto all = Registrations();
  if (only) {
    std::erase_if(all, [&](const v1::InstanceRegistration& r) {
      return !only->count(r.container_instance());
    });
  }
  auto started = std::chrono::steady_clock::now();
  for (size_t i = 0; i < all.size() && !stop;) {
    v1::RegisterInstancesRequest req;
    for (size_t j = i; j < std::min(all.size(), i + kRegisterBatch); ++j)
      *req.add_instances() = all[j];
    auto resp = client_.Register(req);
    if (!resp.ok()) {
      Log("cannot register: " + resp.status().ToString() + "; retrying");
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    i += static_cast<size_t>(req.instances_size());
  }
  if (stop) return false;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Log("registered " + std::to_string(all.size()) + " simulated instances in cluster " +
      options_.cluster + " in " + std::to_string(seconds) + " s");
  return true;
}

void SimulatedFleet::Answer(const v1::Task& task, std::vector<v1::TaskStateReport>& reports) {
  if (!mine_.count(task.spec().container_instance())) return;
  const std::string& last = task.status().last_status();
  std::string next;
  if (task.spec().desired_status() == "STOPPED" && last != "STOPPED") {
    next = "STOPPED";
  } else if (task.spec().desired_status() == "RUNNING" && (last.empty() || last == "PENDING")) {
    next = "RUNNING";
  }
  if (next.empty()) return;
  v1::TaskStateReport r;
  r.set_task(task.metadata().name());
  r.set_container_instance(task.spec().container_instance());
  r.set_last_status(next);
  for (const auto& c : task.status().containers()) {
    auto* cs = r.add_containers();
    cs->set_name(c.name());
    cs->set_last_status(next);
    if (next == "STOPPED") cs->set_exit_code(0);
  }
  if (next == "STOPPED") {
    r.set_stopped_reason(task.spec().stopped_reason());
    r.set_stop_code("UserInitiated");
  }
  reports.push_back(std::move(r));
}

void SimulatedFleet::Run(const std::atomic<bool>& stop) {
  if (!RegisterAll(stop)) return;
  std::thread heartbeat([&] {
    auto next = std::chrono::steady_clock::now();
    bool was_ok = true;
    while (!stop) {
      if (std::chrono::steady_clock::now() >= next) {
        next = std::chrono::steady_clock::now() + options_.heartbeat_interval;
        v1::HeartbeatRequest req;
        for (const auto& id : ids_) req.add_container_instances(id);
        auto resp = client_.Heartbeat(req);
        if (!resp.ok()) {
          // As a real agent: say so once, and try again within a second, not an interval later.
          if (was_ok) Log("heartbeat failed: " + resp.status().ToString());
          was_ok = false;
          next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
          continue;
        }
        if (!was_ok) Log("heartbeats answered again");
        was_ok = true;
        if (resp->unknown_instances_size() > 0) {
          // Only the ones gantryd forgot; deregistered ones stay out until a restart.
          Log(std::to_string(resp->unknown_instances_size()) + " instances unknown; registering");
          std::set<std::string> unknown(resp->unknown_instances().begin(),
                                        resp->unknown_instances().end());
          RegisterAll(stop, &unknown);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  const std::string selector = "gantry.dev/cluster=" + options_.cluster;
  while (!stop) {
    std::vector<v1::Task> tasks;
    std::string revision;
    if (!client_.ListTasks(selector, tasks, revision).ok()) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    std::vector<v1::TaskStateReport> reports;
    for (const auto& t : tasks) Answer(t, reports);
    std::mutex mu;
    auto flush_some = [&] {
      std::vector<v1::TaskStateReport> batch;
      {
        std::lock_guard lock(mu);
        if (reports.size() <= kMaxReportsPerCall) {
          batch.swap(reports);
        } else {
          batch.assign(std::make_move_iterator(reports.begin()),
                       std::make_move_iterator(reports.begin() + kMaxReportsPerCall));
          reports.erase(reports.begin(), reports.begin() + kMaxReportsPerCall);
        }
      }
      if (batch.empty()) return false;
      v1::ReportTaskStatesRequest req;
      for (auto& r : batch) *req.add_reports() = r;
      auto resp = client_.Report(req);
      std::vector<v1::TaskStateReport> again;
      if (!resp.ok()) {
        again = std::move(batch);  // gantryd unreachable: all of them next time
      } else {
        std::set<std::string> retry;
        for (const auto& f : resp->failures())
          if (f.retry()) retry.insert(f.task());
        for (auto& r : batch)
          if (retry.count(r.task())) again.push_back(std::move(r));
      }
      if (!again.empty()) {
        std::lock_guard lock(mu);
        reports.insert(reports.begin(), std::make_move_iterator(again.begin()),
                       std::make_move_iterator(again.end()));
        return false;  // the rest after a pause
      }
      return true;
    };
    auto flush = [&] {
      while (!stop && flush_some()) {
      }
    };
    flush();
    // Reports go out from this thread as the watch delivers: the watch callback only queues.
    std::atomic<bool> watch_done{false};
    std::thread sender([&] {
      while (!watch_done) {
        flush();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      flush();
    });
    (void)client_.WatchTasks(
        selector, revision,
        [&](const grpcapi::TaskWatchEvent& e) {
          if (e.type == "DELETED") return;
          std::lock_guard lock(mu);
          Answer(e.task, reports);
        },
        stop);
    watch_done = true;
    sender.join();
    if (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  heartbeat.join();
}

}  // namespace gantry::agent
