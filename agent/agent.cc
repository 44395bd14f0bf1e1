#include "agent/agent.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "agent/machine_info.h"
#include "api/uid/uid.h"

namespace gantry::agent {
namespace {

namespace fs = std::filesystem;

void Log(const std::string& line) { std::cerr << "gantry-agent: " << line << std::endl; }

constexpr size_t kMaxLogChunk = 256 << 10;
// What one AppendTaskLogs call carries at most, well under gantryd's message limit.
constexpr size_t kMaxLogBatch = 1 << 20;

int64_t RevisionOf(const v1::Task& t) {
  return std::strtoll(t.metadata().resource_version().c_str(), nullptr, 10);
}

}  // namespace

api::Status SecureStateDir(const std::string& state_dir) {
  std::error_code ec;
  if (!fs::exists(state_dir, ec)) {
    fs::create_directories(state_dir, ec);
    if (ec) {
      return api::Status(api::Code::kFailedPrecondition,
                         "cannot create " + state_dir + ": " + ec.message());
    }
    if (::chmod(state_dir.c_str(), 0700) != 0) {
      return api::Status(api::Code::kFailedPrecondition,
                         "cannot chmod 700 " + state_dir + ": " + std::strerror(errno));
    }
    return {};
  }
  struct stat st {};
  if (::stat(state_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return api::Status(api::Code::kFailedPrecondition,
                       "--state-dir " + state_dir + " is not a directory");
  }
  if (st.st_uid != ::geteuid()) {
    return api::Status(api::Code::kFailedPrecondition,
                       "--state-dir " + state_dir + " belongs to uid " + std::to_string(st.st_uid) +
                           ", not to the agent's user (uid " + std::to_string(::geteuid()) + ")");
  }
  // A shared directory such as /tmp is no place for the agent's secrets, and tightening it
  // would break everyone else.
  if ((st.st_mode & S_ISVTX) != 0 || (st.st_mode & S_IWOTH) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return api::Status(api::Code::kFailedPrecondition,
                       "--state-dir " + state_dir + " is a shared directory (mode " + mode +
                           "); give the agent a directory of its own");
  }
  if ((st.st_mode & 077) != 0) {
    if (::chmod(state_dir.c_str(), 0700) != 0) {
      return api::Status(api::Code::kFailedPrecondition,
                         "cannot chmod 700 " + state_dir + ": " + std::strerror(errno));
    }
    Log("made " + state_dir + " private (mode 0700): tasks must not read the agent's state");
  }
  return {};
}

api::StatusOr<std::string> LoadOrCreateIdentity(const std::string& state_dir) {
  if (auto st = SecureStateDir(state_dir); !st.ok()) return st;
  const std::string path = state_dir + "/instance-id";
  std::ifstream in(path);
  std::string id;
  if (in >> id && !id.empty()) return id;
  id = uid::NewRandomUuid();
  const std::string tmp = path + ".tmp";
  // Durable before we register under it: a crash must not give us a second identity.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const std::string line = id + "\n";
  bool ok = fd >= 0 && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) return api::Status(api::Code::kFailedPrecondition, "cannot write " + tmp);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec)
    return api::Status(api::Code::kFailedPrecondition,
                       "cannot write " + path + ": " + ec.message());
  return id;
}

Agent::Agent(AgentOptions options, grpcapi::AgentClient& client)
    : options_(std::move(options)), client_(client) {}

Agent::~Agent() = default;

api::Status Agent::Init() {
  auto id = LoadOrCreateIdentity(options_.state_dir);
  if (!id.ok()) return id.status();
  instance_id_ = *id;
  ProcessDriverOptions driver_options;
  driver_options.task_user = options_.task_user;
  driver_options.allow_root_tasks = options_.allow_root_tasks;
  driver_options.log_max_size = options_.log_max_size;
  driver_options.log_max_files = options_.log_max_files;
  driver_ = std::make_unique<ProcessDriver>(options_.state_dir + "/tasks", driver_options);
  auto recorded = driver_->Recorded();
  if (!recorded.ok()) return recorded.status();
  std::set<std::string> tasks;
  for (const auto& c : *recorded) tasks.insert(c.task_id);
  if (!tasks.empty())
    Log("found " + std::to_string(tasks.size()) + " task(s) from before the restart");
  return {};
}

v1::InstanceRegistration Agent::Registration() const {
  MachineInfo machine = DetectMachine();
  v1::InstanceRegistration r;
  r.set_container_instance(instance_id_);
  r.set_cluster(options_.cluster);
  r.set_ec2_instance_id(machine.hostname);
  auto add = [&](const std::string& name, const std::string& value) {
    for (auto& a : *r.mutable_attributes()) {
      if (a.name() == name) {
        a.set_value(value);
        return;
      }
    }
    auto* a = r.add_attributes();
    a->set_name(name);
    a->set_value(value);
  };
  add("ecs.os-type", machine.os_type);
  add("ecs.cpu-architecture", machine.cpu_architecture);
  for (const auto& [name, value] : options_.attributes) add(name, value);
  auto* res = r.mutable_registered_resources();
  res->set_cpu(options_.cpu > 0 ? options_.cpu : machine.cpu_units);
  res->set_memory(options_.memory > 0 ? options_.memory : machine.memory_mib);
  for (int p : options_.ports) res->add_ports(p);
  r.mutable_version_info()->set_agent_version(kAgentVersion);
  r.mutable_version_info()->set_docker_version("none (process driver)");
  return r;
}

bool Agent::RegisterNow() {
  v1::RegisterInstancesRequest req;
  *req.add_instances() = Registration();
  auto resp = client_.Register(req);
  if (!resp.ok()) {
    Log("cannot register with " + options_.server + ": " + resp.status().ToString());
    return false;
  }
  Log("registered container instance " + instance_id_ + " in cluster " + options_.cluster);
  return true;
}

void Agent::Run(const std::atomic<bool>& stop) {
  while (!stop && !RegisterNow()) {
    for (int i = 0; i < 10 && !stop; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::thread heartbeat([&] { HeartbeatLoop(stop); });
  std::thread watch([&] { WatchLoop(stop); });
  while (!stop) {
    {
      std::unique_lock lock(mu_);
      wake_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return wake_ || stop; });
      wake_ = false;
    }
    if (stop) break;
    Reconcile();
  }
  {
    std::lock_guard lock(mu_);
    wake_cv_.notify_all();
  }
  heartbeat.join();
  watch.join();
  if (options_.stop_tasks_on_exit) StopEveryTask();
  SendReports();  // best effort: what changed in the last moments
}

void Agent::StopEveryTask() {
  for (auto& [id, runner] : runners_) {
    if (runner->stopped()) continue;
    v1::Task task = runner->task();
    task.mutable_spec()->set_desired_status("STOPPED");
    if (task.spec().stopped_reason().empty())
      task.mutable_spec()->set_stopped_reason("Agent stopped (--stop-tasks-on-exit)");
    runner->Update(task);
  }
  // Each stop escalates to SIGKILL after its task's stopTimeout (at most 120 s in ECS).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(125);
  while (std::chrono::steady_clock::now() < deadline) {
    bool all_stopped = true;
    for (auto& [id, runner] : runners_) {
      const v1::TaskDefinition* def = runner->needs_definition()
                                          ? Definition(runner->task().spec().task_definition())
                                          : nullptr;
      if (auto report = runner->Step(def)) unsent_[id] = std::move(*report);
      all_stopped &= runner->stopped();
    }
    if (all_stopped) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Log("stopped " + std::to_string(runners_.size()) + " tasks before exiting");
}

void Agent::HeartbeatLoop(const std::atomic<bool>& stop) {
  bool was_ok = true;
  bool deregistered_logged = false;
  auto next = std::chrono::steady_clock::now();
  while (!stop) {
    if (std::chrono::steady_clock::now() >= next) {
      next = std::chrono::steady_clock::now() + options_.heartbeat_interval;
      v1::HeartbeatRequest req;
      req.add_container_instances(instance_id_);
      auto resp = client_.Heartbeat(req);
      if (!resp.ok()) {
        if (was_ok) Log("heartbeat failed: " + resp.status().ToString());
        was_ok = false;
        next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      } else {
        if (resp->unknown_instances_size() > 0) RegisterNow();
        if (resp->deregistered_instances_size() > 0 && !deregistered_logged) {
          // As the ECS agent: no new registration until the agent is restarted.
          Log("container instance " + instance_id_ +
              " was deregistered; restart the agent to register it again");
          deregistered_logged = true;
        }
        if (!was_ok) {
          Log("gantryd is back; resyncing");
          relist_ = true;
        }
        was_ok = true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void Agent::WatchLoop(const std::atomic<bool>& stop) {
  const std::string selector = "gantry.dev/container-instance=" + instance_id_;
  while (!stop) {
    std::vector<v1::Task> tasks;
    std::string revision;
    auto listed = client_.ListTasks(selector, tasks, revision);
    if (!listed.ok()) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    {
      std::lock_guard lock(mu_);
      desired_.clear();
      for (auto& t : tasks) desired_[t.metadata().name()] = std::move(t);
      synced_ = true;
      wake_ = true;
    }
    wake_cv_.notify_all();
    relist_ = false;
    // The watch ends when asked to stop, when it fails, or when the heartbeat asks for a relist.
    std::atomic<bool> end_watch{false};
    std::thread guard([&] {
      while (!stop && !relist_ && !end_watch)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      end_watch = true;
    });
    (void)client_.WatchTasks(
        selector, revision,
        [&](const grpcapi::TaskWatchEvent& e) {
          {
            std::lock_guard lock(mu_);
            if (e.type == "DELETED") {
              desired_.erase(e.task.metadata().name());
            } else {
              desired_[e.task.metadata().name()] = e.task;
            }
            wake_ = true;
          }
          wake_cv_.notify_all();
        },
        end_watch);
    end_watch = true;
    guard.join();
    if (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

const v1::TaskDefinition* Agent::Definition(const std::string& name) {
  auto it = definitions_.find(name);
  if (it != definitions_.end()) return &it->second;
  if (definitions_.size() >= 256) {
    // Revisions are immutable, so any entry may go; keep those running tasks use.
    std::set<std::string> used;
    for (const auto& [id, runner] : runners_) used.insert(runner->task().spec().task_definition());
    std::erase_if(definitions_, [&](const auto& kv) { return !used.count(kv.first); });
  }
  auto fetched = client_.GetTaskDefinition(name);
  if (!fetched.ok()) return nullptr;
  return &definitions_.emplace(name, std::move(*fetched)).first->second;
}

void Agent::Reconcile() {
  std::map<std::string, v1::Task> desired;
  bool synced;
  {
    std::lock_guard lock(mu_);
    desired = desired_;
    synced = synced_;
  }
  if (!synced) return;  // never act on local state alone: gantryd may still want those tasks

  // Recorded containers, by task: what runs here, whatever this process remembers.
  std::map<std::string, std::vector<RecordedContainer>> local;
  if (auto recorded = driver_->Recorded(); recorded.ok()) {
    for (auto& c : *recorded) local[c.task_id].push_back(std::move(c));
  }
  for (auto& [id, task] : desired) {
    auto it = runners_.find(id);
    if (it == runners_.end()) {
      auto runner = std::make_unique<TaskRunner>(*driver_, instance_id_, task);
      if (auto l = local.find(id); l != local.end()) runner->Adopt(l->second);
      it = runners_.emplace(id, std::move(runner)).first;
    } else {
      it->second->Update(task);
    }
    const v1::TaskDefinition* def =
        it->second->needs_definition() ? Definition(task.spec().task_definition()) : nullptr;
    if (auto report = it->second->Step(def)) unsent_[id] = std::move(*report);
  }
  // Tasks gantryd no longer has (collected, deleted) or never had: nothing may keep running.
  for (auto it = runners_.begin(); it != runners_.end();) {
    if (desired.count(it->first)) {
      ++it;
      continue;
    }
    (void)driver_->RemoveTask(it->first);
    unsent_.erase(it->first);
    std::erase_if(log_offsets_,
                  [&](const auto& kv) { return kv.first.starts_with(it->first + "/"); });
    it = runners_.erase(it);
  }
  for (const auto& [id, containers] : local) {
    if (desired.count(id)) continue;
    Log("removing task " + id + ": gantryd does not know it");
    (void)driver_->RemoveTask(id);
  }
  SendReports();
  if (std::chrono::steady_clock::now() - last_log_ship_ > std::chrono::milliseconds(500)) {
    ShipLogs();
    last_log_ship_ = std::chrono::steady_clock::now();
  }
}

void Agent::SendReports() {
  if (unsent_.empty()) return;
  v1::ReportTaskStatesRequest req;
  for (const auto& [id, report] : unsent_) *req.add_reports() = report;
  auto resp = client_.Report(req);
  if (!resp.ok()) return;  // kept for the next pass
  // Reports gantryd could not apply for now (a busy store) go again; those it never will (an
  // unknown task, another instance's) are dropped.
  std::map<std::string, v1::TaskStateReport> again;
  for (const auto& f : resp->failures()) {
    auto it = unsent_.find(f.task());
    if (f.retry() && it != unsent_.end()) again.emplace(f.task(), it->second);
  }
  unsent_ = std::move(again);
  // The stored tasks, unless the watch already brought something newer (a StopTask that
  // committed after our report).
  std::lock_guard lock(mu_);
  for (const auto& t : resp->tasks()) {
    auto it = desired_.find(t.metadata().name());
    if (it != desired_.end() && RevisionOf(t) > RevisionOf(it->second)) it->second = t;
  }
}

void Agent::ShipLogs() {
  v1::AppendTaskLogsRequest req;
  req.set_container_instance(instance_id_);
  size_t bytes = 0;
  std::vector<std::pair<std::string, int64_t>> advances;
  for (const auto& [id, runner] : runners_) {
    if (bytes >= kMaxLogBatch) break;  // the rest goes in the next round
    for (const auto& container : runner->containers()) {
      if (bytes >= kMaxLogBatch) break;
      for (const char* stream : {"stdout", "stderr"}) {
        if (bytes >= kMaxLogBatch) break;
        std::string key = id + "/" + container + "/" + stream;
        // Offsets count the whole stream, rotated files included. Output rotated away before it
        // was shipped is lost: the read then starts at the oldest byte still on disk.
        auto read = driver_->ReadLog(id, container, stream, log_offsets_[key], kMaxLogChunk);
        if (!read.ok() || read->data.empty()) continue;
        auto* chunk = req.add_chunks();
        chunk->set_task(id);
        chunk->set_container(container);
        chunk->set_stream(stream);
        chunk->set_offset(read->offset);
        advances.emplace_back(key, read->offset + static_cast<int64_t>(read->data.size()));
        bytes += read->data.size();
        chunk->set_data(std::move(read->data));
      }
    }
  }
  if (req.chunks_size() == 0) return;
  if (!client_.AppendLogs(req).ok()) return;
  for (const auto& [key, offset] : advances) log_offsets_[key] = offset;
}

}  // namespace gantry::agent
