#include "agent/driver/process_driver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>

#include "agent/driver/internal/cgroup.h"
#include "agent/driver/internal/proc.h"
#include "agent/driver/internal/records.h"
#include "agent/driver/internal/shim.h"
#include "agent/driver/task_user.h"

namespace gantry::agent {
namespace {

namespace fs = std::filesystem;
using api::Code;
using api::Status;
using api::StatusOr;
using internal::ExitRecord;
using internal::StateRecord;

constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";
constexpr int64_t kMaxMemoryMib = int64_t{1} << 30;   // 1 PiB: keeps the byte count in range
constexpr unsigned kMaxStopSeconds = (1u << 23) - 1;  // what fits next to the signal number

// One fork at a time in the process: a concurrent Start's intermediate child would otherwise
// briefly hold this Start's pipe ends.
std::mutex& StartMutex() {
  static std::mutex mu;
  return mu;
}

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Keeps 0-2 free, so the shim can point its own stdio at /dev/null without clobbering a
// descriptor it still needs (an agent started with closed stdio gets them from open()).
UniqueFd AboveStdio(int fd) {
  if (fd < 0 || fd > 2) return UniqueFd(fd);
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  int error = errno;
  close(fd);
  errno = error;
  return UniqueFd(moved);
}

Status ErrnoStatus(Code code, const std::string& what, int error) {
  return Status(code, what + ": " + internal::ErrnoText(error));
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

Status ValidateId(std::string_view field, std::string_view id) {
  if (id.empty() || id.size() > 200) {
    return api::InvalidArgument(std::string(field), "must be 1 to 200 characters");
  }
  if (id[0] == '.') return api::InvalidArgument(std::string(field), "must not start with '.'");
  for (char c : id) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '_' || c == '-' || c == '.') continue;
    char shown[8];
    if (std::isprint(u)) {
      shown[0] = c;
      shown[1] = '\0';
    } else {
      std::snprintf(shown, sizeof shown, "\\x%02x", u);
    }
    return api::InvalidArgument(
        std::string(field),
        std::string("character '") + shown + "' is not allowed (letters, digits, '_', '-', '.')");
  }
  return Status();
}

Status ValidateIds(std::string_view task_id, std::string_view name) {
  if (Status s = ValidateId("task_id", task_id); !s.ok()) return s;
  return ValidateId("name", name);
}

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

int64_t UnixMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point FromUnixMillis(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// Readable by the agent only (the directories above are too): tasks never read the records.
Status WriteFileAtomically(const std::string& dir, const std::string& name,
                           const std::string& content, bool sync = true) {
  const std::string tmp = JoinPath(dir, name + ".tmp");
  const std::string final_path = JoinPath(dir, name);
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return ErrnoStatus(Code::kInternal, "create " + tmp, errno);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(Code::kInternal, "write " + tmp, errno);
    done += static_cast<size_t>(n);
  }
  if (sync && fsync(fd.get()) != 0) return ErrnoStatus(Code::kInternal, "fsync " + tmp, errno);
  fd.Reset();
  if (rename(tmp.c_str(), final_path.c_str()) != 0) {
    return ErrnoStatus(Code::kInternal, "rename " + tmp, errno);
  }
  return Status();
}

// command[0] as execvp would find it, resolved before fork: a name with a '/' is used as given
// (relative to the working directory, where execve runs); otherwise the first executable regular
// file on PATH. A match that is not executable is kept so execve reports EACCES; nullopt (nothing
// found) makes the exec step report ENOENT.
std::optional<std::string> ResolveExecutable(const std::string& name, const std::string& path,
                                             const std::string& work_dir) {
  if (name.find('/') != std::string::npos) return name;
  std::optional<std::string> denied;
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    std::string dir =
        path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    start = colon == std::string::npos ? path.size() + 1 : colon + 1;
    if (dir.empty()) dir = ".";
    std::string candidate = JoinPath(dir, name);
    std::string probe = dir[0] == '/' ? candidate : JoinPath(work_dir, candidate);
    struct stat st {};
    if (stat(probe.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (access(probe.c_str(), X_OK) == 0) return candidate;
    if (!denied) denied = candidate;
  }
  return denied;
}

ContainerState FromExit(const ExitRecord& exit) {
  ContainerState s;
  switch (exit.kind) {
    case ExitRecord::Kind::kExited:
      s.state = RunState::kExited;
      s.exit_code = exit.exit_code;
      break;
    case ExitRecord::Kind::kSignaled:
      s.state = RunState::kSignaled;
      s.signal = exit.signal;
      s.exit_code = 128 + exit.signal;
      break;
    case ExitRecord::Kind::kExecError:
      s.state = RunState::kExecFailed;
      s.message = internal::ExecFailureMessage(exit.during, exit.error);
      break;
  }
  if (exit.finished_unix_ms > 0) s.finished_at = FromUnixMillis(exit.finished_unix_ms);
  return s;
}

std::optional<ContainerState> ReadExit(const std::string& dir) {
  auto text = internal::ReadSmallFile(JoinPath(dir, "exit"));
  if (!text) return std::nullopt;
  auto exit = internal::ParseExit(*text);
  if (!exit.ok()) {
    ContainerState s;
    s.state = RunState::kLost;
    s.message = "unreadable exit record: " + exit.status().message();
    return s;
  }
  return FromExit(*exit);
}

bool SameBoot(const StateRecord& record, const std::string& boot_id) {
  return record.boot_id.empty() || boot_id.empty() || record.boot_id == boot_id;
}

// The pid-reuse guard: the recorded pid must still be the process that was started, i.e. have
// the recorded start time, in this boot, and not be a zombie (whose exit the shim never got to
// record).
bool ShimAlive(const StateRecord& record, const std::string& boot_id) {
  if (!SameBoot(record, boot_id)) return false;
  auto stat = internal::ReadProcStat(record.shim_pid);
  return stat && stat->start_time == record.shim_start_time && stat->state != 'Z' &&
         stat->state != 'X';
}

struct Observed {
  ContainerState state;
  std::optional<StateRecord> record;
};

// Reads a container directory. The exit file wins; without one the shim must be alive (running)
// or the container is lost. The exit file is read again after the liveness check because the
// shim writes it just before it exits.
Observed Observe(const std::string& dir, const std::string& boot_id) {
  Observed o;
  std::string state_problem =
      "no state record: the agent stopped before the container was recorded";
  if (auto text = internal::ReadSmallFile(JoinPath(dir, "state"))) {
    auto record = internal::ParseState(*text);
    if (record.ok()) {
      o.record = std::move(record).value();
    } else {
      state_problem = "unreadable state record: " + record.status().message();
    }
  }
  if (auto exit = ReadExit(dir)) {
    o.state = std::move(*exit);
    return o;
  }
  if (!o.record) {
    o.state.state = RunState::kLost;
    o.state.message = state_problem;
    return o;
  }
  if (ShimAlive(*o.record, boot_id)) {
    o.state.state = RunState::kRunning;
    return o;
  }
  if (auto exit = ReadExit(dir)) {
    o.state = std::move(*exit);
    return o;
  }
  o.state.state = RunState::kLost;
  o.state.message = SameBoot(*o.record, boot_id)
                        ? "shim " + std::to_string(o.record->shim_pid) +
                              " is gone and left no exit record (killed?)"
                        : "the machine rebooted since the container started";
  return o;
}

bool Ended(RunState state) {
  return state == RunState::kExited || state == RunState::kSignaled ||
         state == RunState::kExecFailed;
}

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

int PidfdSendSignal(int pidfd, int sig, siginfo_t* info) {
#ifdef SYS_pidfd_send_signal
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, info, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

// Asks the shim to send `sig` to the container's process group and, if `kill_after` > 0, SIGKILL
// that many seconds later unless the main process has ended. The shim is pinned with a pidfd
// before its start time is checked, so a recycled pid never gets the request. kNotFound when the
// shim is gone.
Status SendRequest(const StateRecord& record, const std::string& boot_id, int sig,
                   unsigned kill_after) {
  const std::string who = "shim " + std::to_string(record.shim_pid);
  if (record.control_signal < SIGRTMIN || record.control_signal > SIGRTMAX) {
    return Status(Code::kInternal, who + ": bad control signal " +
                                       std::to_string(record.control_signal) + " in state record");
  }
  sigval value{};
  value.sival_int = static_cast<int>((kill_after << 8) | static_cast<unsigned>(sig));
  UniqueFd pidfd(PidfdOpen(record.shim_pid));
  if (!pidfd.valid() && errno == ESRCH) return Status(Code::kNotFound, who + " is gone");
  if (!ShimAlive(record, boot_id)) return Status(Code::kNotFound, who + " is gone");
  if (pidfd.valid()) {
    siginfo_t info{};
    info.si_signo = record.control_signal;
    info.si_code = SI_QUEUE;
    info.si_pid = getpid();
    info.si_uid = getuid();
    info.si_value = value;
    if (PidfdSendSignal(pidfd.get(), record.control_signal, &info) == 0) return Status();
    if (errno == ESRCH) return Status(Code::kNotFound, who + " is gone");
    if (errno != ENOSYS) return ErrnoStatus(Code::kInternal, "signal " + who, errno);
  }
  // No pidfds (kernel < 5.3): the start time was checked just above.
  if (sigqueue(record.shim_pid, record.control_signal, value) == 0) return Status();
  if (errno == ESRCH) return Status(Code::kNotFound, who + " is gone");
  return ErrnoStatus(Code::kInternal, "signal " + who, errno);
}

// The shim is gone, so what is left of the container runs unsupervised: signal every process of
// its session, whose id is the intermediate child's pid. No new process can get that pid while a
// member of the session lives, so a live process with that pid means the session is gone and the
// id belongs to someone else. Each member is pinned by a pidfd and checked again before the
// signal. SIGKILL also goes through cgroup.kill, which reaches processes that left the session.
void SignalLost(const StateRecord& record, const std::string& boot_id, int sig) {
  if (!SameBoot(record, boot_id)) return;  // nothing survives a reboot
  if (auto leader = internal::ReadProcStat(record.session_id); leader && leader->state != 'Z') {
    return;
  }
  if (sig == SIGKILL && !record.cgroup.empty()) {
    UniqueFd kill_fd(open(JoinPath(record.cgroup, "cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC));
    if (kill_fd.valid()) (void)!write(kill_fd.get(), "1", 1);
  }
  for (pid_t pid : internal::SessionMembers(record.session_id)) {
    UniqueFd pidfd(PidfdOpen(pid));
    auto stat = internal::ReadProcStat(pid);
    if (!stat || stat->session != record.session_id) continue;
    if (pidfd.valid()) {
      PidfdSendSignal(pidfd.get(), sig, nullptr);
    } else if (errno == ENOSYS) {
      kill(pid, sig);
    }
  }
}

// Reads one report from the shim, waiting until `deadline`.
StatusOr<internal::ShimMessage> ReadMessage(int fd, std::chrono::steady_clock::time_point deadline,
                                            std::string_view what) {
  internal::ShimMessage message;
  char* p = reinterpret_cast<char*>(&message);
  size_t got = 0;
  while (got < sizeof message) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Status(Code::kDeadlineExceeded,
                    "timed out waiting for the shim to report " + std::string(what));
    }
    pollfd pfd{fd, POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 1'000'000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ErrnoStatus(Code::kInternal, "poll shim report", errno);
    if (ready == 0) continue;
    ssize_t n = read(fd, p + got, sizeof message - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(Code::kInternal, "read shim report", errno);
    if (n == 0) {
      return Status(Code::kInternal, "the shim exited before reporting " + std::string(what));
    }
    got += static_cast<size_t>(n);
  }
  return message;
}

std::string ContainerLabel(std::string_view task_id, std::string_view name) {
  return std::string(task_id) + "/" + std::string(name);
}

// Everything a Start builds before fork; LaunchPlan points into it.
struct LaunchStrings {
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::vector<char*> argv_ptrs;
  std::vector<char*> envp_ptrs;
  std::optional<std::string> exec_path;
  std::string work_dir;
  std::string cgroup_dir, cgroup_procs, cgroup_kill;
  std::array<std::string, internal::kStageCount> during;
  std::vector<char> exit_buffer = std::vector<char>(4096);
  std::string title;
  std::vector<char> pump_buffer = std::vector<char>(64 << 10);
  struct Stream {
    std::vector<std::string> names;
    std::vector<const char*> name_ptrs;
    std::string new_name, index_name, index_tmp;
    std::vector<uint64_t> inodes;
    std::vector<int64_t> offsets;
    std::vector<char> index_buffer;
  };
  std::array<Stream, 2> streams;
};

constexpr std::array<const char*, 2> kStreams = {"stdout", "stderr"};

// mkdir with `mode`; an existing directory is fine.
Status MakeDirectory(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0 || (errno == EEXIST && IsDirectory(path))) return Status();
  return ErrnoStatus(Code::kInternal, "create " + path, errno);
}

// Empties a task's work directory with its owner's rights when that owner is not us. The owner
// can change the tree while we walk it (swap a directory for a symlink to /etc), so an agent
// running as root must never walk it with root's rights: a child process enters it, drops to
// the owner and deletes what the owner may delete; the empty directory then goes. A directory we
// own is left to the caller.
Status EmptyAsOwner(const std::string& work) {
  UniqueFd fd(open(work.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    return errno == ENOENT ? Status() : ErrnoStatus(Code::kInternal, "open " + work, errno);
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return ErrnoStatus(Code::kInternal, "stat " + work, errno);
  if (st.st_uid == geteuid()) return Status();
  const uid_t uid = st.st_uid;
  const gid_t gid = st.st_gid;
  static const char* const kArgv[] = {
      "/bin/sh", "-c", "chmod -R u+rwx . 2>/dev/null; exec find . -xdev -mindepth 1 -delete",
      nullptr};
  static const char* const kEnvp[] = {"PATH=/usr/bin:/bin", nullptr};
  UniqueFd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus(Code::kUnavailable, "fork to empty " + work, errno);
  if (pid == 0) {
    // Only async-signal-safe calls until execve: the agent is multi-threaded.
    if (devnull.valid()) {
      dup2(devnull.get(), 0);
      dup2(devnull.get(), 1);
      dup2(devnull.get(), 2);
    }
    if (fchdir(fd.get()) != 0 || syscall(SYS_setgroups, 0, nullptr) != 0 ||
        syscall(SYS_setresgid, gid, gid, gid) != 0 || syscall(SYS_setresuid, uid, uid, uid) != 0) {
      _exit(126);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(kArgv[0], const_cast<char* const*>(kArgv), const_cast<char* const*>(kEnvp));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Empty now unless the owner could not delete something (or still writes there).
  if (rmdir(work.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(Code::kInternal,
                       "remove " + work + " (emptied as uid " + std::to_string(uid) + ")", errno);
  }
  return Status();
}

// "stdout.log" or "stdout.log.<n>": the current file of the stream or a rotated one.
bool IsLogFileOf(const std::string& file, const std::string& stream) {
  const std::string base = stream + ".log";
  if (file == base) return true;
  if (!file.starts_with(base + ".") || file.size() == base.size() + 1) return false;
  return std::all_of(file.begin() + static_cast<std::ptrdiff_t>(base.size() + 1), file.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

const char* RunStateName(RunState state) {
  switch (state) {
    case RunState::kRunning:
      return "RUNNING";
    case RunState::kExited:
      return "EXITED";
    case RunState::kSignaled:
      return "SIGNALED";
    case RunState::kExecFailed:
      return "EXEC_FAILED";
    case RunState::kLost:
      return "LOST";
  }
  return "UNKNOWN";
}

ProcessDriver::ProcessDriver(std::string root_dir)
    : ProcessDriver(std::move(root_dir), ProcessDriverOptions()) {}

ProcessDriver::ProcessDriver(std::string root_dir, ProcessDriverOptions options)
    : root_dir_(std::move(root_dir)),
      options_(std::move(options)),
      boot_id_(internal::ReadBootId()) {
  while (root_dir_.size() > 1 && root_dir_.back() == '/') root_dir_.pop_back();
}

StatusOr<StartedContainer> ProcessDriver::Start(const ContainerSpec& spec) {
  // Validate.
  if (Status s = ValidateIds(spec.task_id, spec.name); !s.ok()) return s;
  if (spec.command.empty() || spec.command[0].empty()) {
    return api::InvalidArgument("command", "must name a program");
  }
  for (size_t i = 0; i < spec.command.size(); ++i) {
    if (HasNul(spec.command[i])) {
      return api::InvalidArgument("command[" + std::to_string(i) + "]", "contains a NUL byte");
    }
  }
  // Validation upstream refuses these too; an '=' in a name would otherwise reach execve as a
  // different variable (A=B=x sets A), so the driver checks again.
  for (size_t i = 0; i < spec.environment.size(); ++i) {
    const auto& [key, value] = spec.environment[i];
    const std::string field = "environment[" + std::to_string(i) + "]";
    if (key.empty() || key.find('=') != std::string::npos || HasNul(key)) {
      return api::InvalidArgument(field + ".name", "must be non-empty without '=' or NUL");
    }
    if (HasNul(value)) return api::InvalidArgument(field + ".value", "contains a NUL byte");
  }
  if (HasNul(spec.working_directory)) {
    return api::InvalidArgument("working_directory", "contains a NUL byte");
  }
  if (spec.memory_mib < 0 || spec.memory_mib > kMaxMemoryMib) {
    return api::InvalidArgument("memory_mib", "must be between 0 and 2^30");
  }
  if (spec.cpu_units < 0 || spec.cpu_units > (int64_t{1} << 30)) {
    return api::InvalidArgument("cpu_units", "must be between 0 and 2^30");
  }
  if (options_.log_max_size < kMinLogMaxSize || options_.log_max_size > kMaxLogMaxSize) {
    return api::InvalidArgument("log_max_size", "must be between 1 KiB and 1 TiB");
  }
  if (options_.log_max_files < 1 || options_.log_max_files > kMaxLogMaxFiles) {
    return api::InvalidArgument("log_max_files",
                                "must be between 1 and " + std::to_string(kMaxLogMaxFiles));
  }
  const std::string label = ContainerLabel(spec.task_id, spec.name);
  auto identity = ResolveTaskUser(
      spec.user, CurrentTaskUserPolicy(options_.task_user, options_.allow_root_tasks));
  if (!identity.ok()) {
    return Status(identity.status().code(),
                  "container " + spec.name + ": " + identity.status().ToString());
  }

  std::lock_guard<std::mutex> lock(StartMutex());
  // Every directory above the container's own is the agent's alone (0700): tasks can neither
  // read the records nor forge them. The container's directory holds the records and logs;
  // its `work` subdirectory belongs to the task's user.
  const std::string task_dir = JoinPath(root_dir_, spec.task_id);
  const std::string dir = JoinPath(task_dir, spec.name);
  const std::string work = JoinPath(dir, "work");
  std::error_code ec;
  if (!IsDirectory(root_dir_)) {
    fs::create_directories(root_dir_, ec);
    if (ec) return Status(Code::kInternal, "create " + root_dir_ + ": " + ec.message());
    chmod(root_dir_.c_str(), 0700);
  }
  for (const std::string& d : {task_dir, dir}) {
    if (Status s = MakeDirectory(d, 0700); !s.ok()) return s;
  }
  if (Exists(JoinPath(dir, "state")) || Exists(JoinPath(dir, "exit"))) {
    return Status(Code::kAlreadyExists,
                  "container " + label + " was already started; remove the task first");
  }
  if (Status s = MakeDirectory(work, 0700); !s.ok()) return s;
  UniqueFd work_fd =
      AboveStdio(open(work.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!work_fd.valid()) return ErrnoStatus(Code::kInternal, "open " + work, errno);
  if (identity->change && fchown(work_fd.get(), identity->uid, identity->gid) != 0) {
    return ErrnoStatus(Code::kInternal, "give " + work + " to " + identity->description, errno);
  }
  if (fchmod(work_fd.get(), 0700) != 0) {
    return ErrnoStatus(Code::kInternal, "chmod " + work, errno);
  }

  // Every string the forked code needs.
  LaunchStrings strings;
  std::map<std::string, size_t> env_index;
  std::string path_value = kDefaultPath;
  for (const auto& [key, value] : spec.environment) {
    std::string entry = key + "=" + value;
    auto [it, inserted] = env_index.emplace(key, strings.envp.size());
    if (inserted) {
      strings.envp.push_back(std::move(entry));
    } else {
      strings.envp[it->second] = std::move(entry);
    }
    if (key == "PATH") path_value = value;
  }
  if (env_index.count("PATH") == 0) strings.envp.push_back(std::string("PATH=") + kDefaultPath);
  strings.argv = spec.command;
  for (std::string& s : strings.argv) strings.argv_ptrs.push_back(s.data());
  strings.argv_ptrs.push_back(nullptr);
  for (std::string& s : strings.envp) strings.envp_ptrs.push_back(s.data());
  strings.envp_ptrs.push_back(nullptr);

  std::string chdir_path;  // after fchdir into `work`
  if (spec.working_directory.empty()) {
    strings.work_dir = work;
  } else if (spec.working_directory[0] == '/') {
    strings.work_dir = spec.working_directory;
    chdir_path = spec.working_directory;
  } else {
    strings.work_dir = JoinPath(work, spec.working_directory);
    chdir_path = spec.working_directory;
  }
  strings.exec_path = ResolveExecutable(spec.command[0], path_value, strings.work_dir);

  using internal::EscapeValue;
  std::string exec_what = "exec " + Quote(spec.command[0]);
  if (!strings.exec_path) exec_what += " (not found in PATH=" + path_value + ")";
  strings.during[internal::kStageExec] = EscapeValue(exec_what);
  strings.during[internal::kStageChdir] = EscapeValue("chdir " + Quote(strings.work_dir));
  strings.during[internal::kStageRlimit] = "setrlimit RLIMIT_DATA";
  strings.during[internal::kStageStdio] = "redirect stdin, stdout and stderr";
  strings.during[internal::kStageAborted] = "start";
  strings.during[internal::kStageFork] = "fork the container process";
  strings.during[internal::kStageUser] = EscapeValue("switch to user " + identity->description);

  // Limits: cgroup v2 when usable, else RLIMIT_DATA for memory and no cpu weight.
  StartedContainer started;
  started.limits = "none";
  rlim_t data_limit = 0;
  if (!options_.cgroup_root.empty()) {
    auto cgroup = internal::CreateCgroup(options_.cgroup_root, spec.task_id + "-" + spec.name,
                                         spec.memory_mib, spec.cpu_units);
    if (cgroup.ok()) {
      started.limits = "cgroup v2";
      started.cgroup = cgroup->dir;
    }
  }
  if (started.cgroup.empty() && spec.memory_mib > 0) {
    started.limits = "rlimit";
    data_limit = static_cast<rlim_t>(spec.memory_mib) * 1024 * 1024;
    struct rlimit current {};
    // Lowering is always allowed; raising past the agent's hard limit is not.
    if (getrlimit(RLIMIT_DATA, &current) == 0 && current.rlim_max != RLIM_INFINITY) {
      data_limit = std::min(data_limit, current.rlim_max);
    }
  }
  struct CgroupGuard {
    std::string dir;
    ~CgroupGuard() { internal::RemoveCgroup(dir); }
  } cgroup_guard{started.cgroup};
  if (!started.cgroup.empty()) {
    strings.cgroup_dir = started.cgroup;
    strings.cgroup_procs = JoinPath(started.cgroup, "cgroup.procs");
    strings.cgroup_kill = JoinPath(started.cgroup, "cgroup.kill");
    strings.during[internal::kStageCgroup] = EscapeValue("join cgroup " + Quote(started.cgroup));
  }

  // Descriptors: all close-on-exec; the container's stdio is dup2'ed from them.
  UniqueFd dir_fd = AboveStdio(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return ErrnoStatus(Code::kInternal, "open " + dir, errno);
  UniqueFd devnull = AboveStdio(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull.valid()) return ErrnoStatus(Code::kInternal, "open /dev/null", errno);
  // Per stream: a pipe the container writes and the shim drains, the first log file and its
  // index (the file starts at offset 0 of the stream).
  std::array<UniqueFd, 2> pipe_read, pipe_write, log_file;
  for (size_t i = 0; i < kStreams.size(); ++i) {
    const std::string stream = kStreams[i];
    LaunchStrings::Stream& names = strings.streams[i];
    for (int n = 0; n < options_.log_max_files; ++n) {
      names.names.push_back(stream + ".log" + (n == 0 ? "" : "." + std::to_string(n)));
    }
    for (const std::string& n : names.names) names.name_ptrs.push_back(n.c_str());
    names.new_name = stream + ".log.new";
    names.index_name = stream + ".index";
    names.index_tmp = stream + ".index.tmp";
    names.inodes.assign(static_cast<size_t>(options_.log_max_files), 0);
    names.offsets.assign(static_cast<size_t>(options_.log_max_files), 0);
    names.index_buffer.resize(static_cast<size_t>(options_.log_max_files) * 96 + 64);

    const std::string path = JoinPath(dir, names.names[0]);
    log_file[i] = AboveStdio(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!log_file[i].valid()) return ErrnoStatus(Code::kInternal, "open " + path, errno);
    struct stat st {};
    if (fstat(log_file[i].get(), &st) != 0) {
      return ErrnoStatus(Code::kInternal, "stat " + path, errno);
    }
    names.inodes[0] = static_cast<uint64_t>(st.st_ino);
    if (Status s = WriteFileAtomically(
            dir, names.index_name, internal::FormatLogIndex({{names.names[0], names.inodes[0], 0}}),
            /*sync=*/false);
        !s.ok()) {
      return s;
    }
    int ends[2];
    if (pipe2(ends, O_CLOEXEC) != 0) {
      return ErrnoStatus(Code::kUnavailable, "create " + stream + " pipe", errno);
    }
    pipe_read[i] = AboveStdio(ends[0]);
    pipe_write[i] = AboveStdio(ends[1]);
    if (!pipe_read[i].valid() || !pipe_write[i].valid()) {
      return ErrnoStatus(Code::kUnavailable, "move descriptors above 2", errno);
    }
  }
  int report_pair[2];
  if (pipe2(report_pair, O_CLOEXEC) != 0) {
    return ErrnoStatus(Code::kUnavailable, "create report pipe", errno);
  }
  UniqueFd report_read = AboveStdio(report_pair[0]);
  UniqueFd report_write = AboveStdio(report_pair[1]);
  // A socket, not a pipe, for "go": send(MSG_NOSIGNAL) cannot raise SIGPIPE in the agent when
  // the container process is already gone.
  int go_pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go_pair) != 0) {
    return ErrnoStatus(Code::kUnavailable, "create go socket", errno);
  }
  UniqueFd go_read = AboveStdio(go_pair[0]);
  UniqueFd go_write = AboveStdio(go_pair[1]);
  if (!report_read.valid() || !report_write.valid() || !go_read.valid() || !go_write.valid()) {
    return ErrnoStatus(Code::kUnavailable, "move descriptors above 2", errno);
  }

  internal::LaunchPlan plan;
  plan.exec_path = strings.exec_path ? strings.exec_path->c_str() : nullptr;
  plan.argv = strings.argv_ptrs.data();
  plan.envp = strings.envp_ptrs.data();
  if (!strings.cgroup_dir.empty()) {
    plan.cgroup_dir = strings.cgroup_dir.c_str();
    plan.cgroup_procs = strings.cgroup_procs.c_str();
    plan.cgroup_kill = strings.cgroup_kill.c_str();
  }
  plan.data_limit = data_limit;
  plan.change_user = identity->change;
  plan.uid = identity->uid;
  plan.gid = identity->gid;
  plan.work_fd = work_fd.get();
  plan.chdir_path = chdir_path.empty() ? nullptr : chdir_path.c_str();
  plan.dir_fd = dir_fd.get();
  plan.devnull_fd = devnull.get();
  for (size_t i = 0; i < kStreams.size(); ++i) {
    internal::LogStream& stream = plan.streams[i];
    LaunchStrings::Stream& names = strings.streams[i];
    stream.read_fd = pipe_read[i].get();
    stream.write_fd = pipe_write[i].get();
    stream.file_fd = log_file[i].get();
    stream.names = names.name_ptrs.data();
    stream.new_name = names.new_name.c_str();
    stream.index_name = names.index_name.c_str();
    stream.index_tmp = names.index_tmp.c_str();
    stream.inodes = names.inodes.data();
    stream.offsets = names.offsets.data();
    stream.files = 1;
    stream.index_buffer = names.index_buffer.data();
    stream.index_buffer_size = names.index_buffer.size();
  }
  plan.log_max_size = options_.log_max_size;
  plan.log_max_files = options_.log_max_files;
  plan.pump_buffer = strings.pump_buffer.data();
  plan.pump_buffer_size = strings.pump_buffer.size();
  plan.report_fd = report_write.get();
  plan.go_fd = go_read.get();
  plan.control_signal = SIGRTMIN + 3;
  struct rlimit nofile {};
  plan.fd_limit = getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY
                      ? static_cast<int>(std::min<rlim_t>(nofile.rlim_cur, 1 << 20))
                      : 1 << 20;
  for (size_t i = 0; i < strings.during.size(); ++i) {
    plan.during[i] = strings.during[i].empty() ? nullptr : strings.during[i].c_str();
  }
  const auto& errno_texts = internal::ErrnoTexts();
  plan.errno_text = errno_texts.data();
  plan.errno_text_size = static_cast<int>(errno_texts.size());
  plan.exit_buffer = strings.exit_buffer.data();
  plan.exit_buffer_size = strings.exit_buffer.size();
  strings.title = "gantry-shim " + spec.task_id + " " + spec.name;
  plan.title = strings.title.c_str();
  if (auto area = internal::OwnArgumentArea()) {
    plan.title_area = area->start;
    plan.title_area_size = area->size;
  }

  pid_t intermediate = fork();
  if (intermediate < 0) return ErrnoStatus(Code::kUnavailable, "fork", errno);
  if (intermediate == 0) internal::RunIntermediate(plan);  // never returns

  report_write.Reset();
  go_read.Reset();
  dir_fd.Reset();
  devnull.Reset();
  work_fd.Reset();
  for (size_t i = 0; i < kStreams.size(); ++i) {
    pipe_read[i].Reset();
    pipe_write[i].Reset();
    log_file[i].Reset();
  }
  int status = 0;
  pid_t waited;
  do {
    waited = waitpid(intermediate, &status, 0);
  } while (waited < 0 && errno == EINTR);
  // ECHILD: someone else reaps our children (SIGCHLD ignored); the report pipe still tells.
  if (waited == intermediate && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    int error = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    return Status(Code::kUnavailable,
                  "start the shim for " + label + ": " +
                      (error > 0 ? internal::ErrnoText(error) : std::string("killed")));
  }

  // Until the state file exists, a failure removes the directory so that Start can be retried;
  // closing the go socket without a byte makes the container process give up before exec.
  auto abandon = [&](Status s) {
    go_write.Reset();
    fs::remove_all(dir, ec);
    return s;
  };
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  auto pids = ReadMessage(report_read.get(), deadline, "its pids");
  if (!pids.ok()) return abandon(pids.status());
  if (pids->kind != internal::kPids || pids->stage != internal::kStageNone) {
    return abandon(Status(Code::kUnavailable, "fork the process of " + label + ": " +
                                                  internal::ErrnoText(pids->error)));
  }
  auto shim_stat = internal::ReadProcStat(pids->shim_pid);
  if (!shim_stat) {
    return abandon(Status(Code::kInternal, "shim " + std::to_string(pids->shim_pid) + " of " +
                                               label + " vanished before it was recorded"));
  }

  StateRecord record;
  record.boot_id = boot_id_;
  record.shim_pid = pids->shim_pid;
  record.shim_start_time = shim_stat->start_time;
  record.session_id = intermediate;
  record.pid = pids->child_pid;
  record.launched_unix_ms = UnixMillis(std::chrono::system_clock::now());
  record.control_signal = plan.control_signal;
  record.limits = started.limits;
  record.cgroup = started.cgroup;
  record.command = strings.exec_path.value_or(spec.command[0]);
  if (Status s = WriteFileAtomically(dir, "state", internal::FormatState(record)); !s.ok()) {
    return abandon(s);
  }
  cgroup_guard.dir.clear();  // the shim owns it now

  const char go = 1;
  ssize_t sent;
  do {
    sent = send(go_write.get(), &go, 1, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  go_write.Reset();  // on failure the container process has died; the shim reports it

  started.shim_pid = record.shim_pid;
  started.pid = record.pid;
  auto result = ReadMessage(report_read.get(), deadline, "whether exec succeeded");
  if (!result.ok()) return result.status();  // recorded: Poll tells what became of it
  if (result->stage == internal::kStageNone) {
    started.state.state = RunState::kRunning;
    return started;
  }
  // The shim wrote the exit file before this report.
  started.state = Observe(dir, boot_id_).state;
  return started;
}

StatusOr<ContainerState> ProcessDriver::Poll(std::string_view task_id,
                                             std::string_view name) const {
  if (Status s = ValidateIds(task_id, name); !s.ok()) return s;
  const std::string dir = JoinPath(JoinPath(root_dir_, task_id), name);
  if (!IsDirectory(dir)) {
    return Status(Code::kNotFound,
                  "container " + ContainerLabel(task_id, name) + " not found in " + root_dir_);
  }
  return Observe(dir, boot_id_).state;
}

Status ProcessDriver::Signal(std::string_view task_id, std::string_view name, int sig) const {
  if (Status s = ValidateIds(task_id, name); !s.ok()) return s;
  if (sig <= 0 || sig >= NSIG) {
    return api::InvalidArgument("signal", "must be between 1 and " + std::to_string(NSIG - 1));
  }
  const std::string label = ContainerLabel(task_id, name);
  const std::string dir = JoinPath(JoinPath(root_dir_, task_id), name);
  if (!IsDirectory(dir)) return Status(Code::kNotFound, "container " + label + " not found");
  Observed o = Observe(dir, boot_id_);
  if (o.state.state == RunState::kRunning) {
    Status s = SendRequest(*o.record, boot_id_, sig, 0);
    if (s.code() != Code::kNotFound) return s;
    o = Observe(dir, boot_id_);  // the shim ended meanwhile
  }
  if (Ended(o.state.state)) {
    return Status(Code::kFailedPrecondition, "container " + label + " has already ended");
  }
  if (!o.record) {
    return Status(Code::kFailedPrecondition, "container " + label + " has no recorded process");
  }
  SignalLost(*o.record, boot_id_, sig);
  return Status();
}

Status ProcessDriver::Stop(std::string_view task_id, std::string_view name,
                           std::chrono::seconds stop_timeout) const {
  if (Status s = ValidateIds(task_id, name); !s.ok()) return s;
  const std::string label = ContainerLabel(task_id, name);
  const std::string dir = JoinPath(JoinPath(root_dir_, task_id), name);
  if (!IsDirectory(dir)) return Status(Code::kNotFound, "container " + label + " not found");
  Observed o = Observe(dir, boot_id_);
  if (o.state.state == RunState::kRunning) {
    Status s = stop_timeout.count() <= 0 ? SendRequest(*o.record, boot_id_, SIGKILL, 0)
                                         : SendRequest(*o.record, boot_id_, SIGTERM,
                                                       static_cast<unsigned>(std::min<int64_t>(
                                                           stop_timeout.count(), kMaxStopSeconds)));
    if (s.code() != Code::kNotFound) return s;
    o = Observe(dir, boot_id_);
  }
  // Nobody is left to escalate for a lost container: kill it outright.
  if (o.state.state == RunState::kLost && o.record) SignalLost(*o.record, boot_id_, SIGKILL);
  return Status();
}

Status ProcessDriver::KillTask(std::string_view task_id) const {
  if (Status s = ValidateId("task_id", task_id); !s.ok()) return s;
  const std::string task_dir = JoinPath(root_dir_, task_id);
  if (!IsDirectory(task_dir)) {
    return Status(Code::kNotFound, "task " + std::string(task_id) + " not found in " + root_dir_);
  }
  std::error_code ec;
  Status first;
  for (const auto& entry : fs::directory_iterator(task_dir, ec)) {
    std::error_code type_ec;
    if (!entry.is_directory(type_ec)) continue;
    const std::string dir = entry.path().string();
    Observed o = Observe(dir, boot_id_);
    if (o.state.state == RunState::kRunning) {
      Status s = SendRequest(*o.record, boot_id_, SIGKILL, 0);
      if (s.code() != Code::kNotFound) {
        if (!s.ok() && first.ok()) first = s;
        continue;
      }
      o = Observe(dir, boot_id_);
    }
    if (o.state.state == RunState::kLost && o.record) SignalLost(*o.record, boot_id_, SIGKILL);
  }
  if (ec && first.ok()) first = Status(Code::kInternal, "list " + task_dir + ": " + ec.message());
  return first;
}

Status ProcessDriver::RemoveTask(std::string_view task_id) const {
  if (Status s = ValidateId("task_id", task_id); !s.ok()) return s;
  const std::string task_dir = JoinPath(root_dir_, task_id);
  if (!IsDirectory(task_dir)) return Status();
  std::vector<std::string> cgroups;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(task_dir, ec)) {
    auto text = internal::ReadSmallFile(JoinPath(entry.path().string(), "state"));
    if (!text) continue;
    auto record = internal::ParseState(*text);
    if (record.ok() && !record->cgroup.empty()) cgroups.push_back(record->cgroup);
  }
  Status killed = KillTask(task_id);
  // Moved aside first, so that a Start of the same id right away gets a fresh directory (a name
  // starting with '.' is no task). A shim writing its exit file meanwhile can make one deletion
  // pass fail; once the directory itself is gone nothing can be created in it.
  static std::atomic<uint64_t> removals{0};
  const std::string doomed =
      JoinPath(root_dir_, ".removing-" + std::string(task_id) + "-" + std::to_string(getpid()) +
                              "-" + std::to_string(removals++));
  if (rename(task_dir.c_str(), doomed.c_str()) != 0) {
    if (errno == ENOENT) return killed;  // removed concurrently
    return ErrnoStatus(Code::kInternal, "rename " + task_dir, errno);
  }
  for (int attempt = 0; attempt < 10; ++attempt) {
    ec.clear();
    // The work directories first, with their owners' rights (EmptyAsOwner); what is left is the
    // agent's own. A work directory that cannot be emptied stops the removal: walking it with
    // the agent's rights is what must not happen.
    Status emptied;
    std::error_code list_ec;
    for (const auto& entry : fs::directory_iterator(doomed, list_ec)) {
      if (Status s = EmptyAsOwner(JoinPath(entry.path().string(), "work")); !s.ok()) {
        emptied = s;
      }
    }
    if (!emptied.ok()) {
      if (attempt == 9) return emptied;
      continue;
    }
    fs::remove_all(doomed, ec);
    if (!ec || !Exists(doomed)) break;
  }
  if (ec && Exists(doomed)) {
    return Status(Code::kInternal, "remove " + doomed + ": " + ec.message());
  }
  // Left behind only by a lost shim; a live one removes its cgroup itself once it is empty.
  for (const std::string& cgroup : cgroups) internal::RemoveCgroup(cgroup);
  return killed;
}

StatusOr<std::vector<RecordedContainer>> ProcessDriver::Recorded() const {
  std::vector<RecordedContainer> out;
  if (!IsDirectory(root_dir_)) return out;
  auto sorted_dirs = [](const std::string& dir, std::error_code& ec) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::error_code type_ec;
      if (!entry.is_directory(type_ec)) continue;
      std::string name = entry.path().filename().string();
      if (ValidateId("", name).ok()) names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  std::error_code ec;
  for (const std::string& task : sorted_dirs(root_dir_, ec)) {
    if (ec) break;
    const std::string task_dir = JoinPath(root_dir_, task);
    for (const std::string& name : sorted_dirs(task_dir, ec)) {
      if (ec) break;
      Observed o = Observe(JoinPath(task_dir, name), boot_id_);
      RecordedContainer r;
      r.task_id = task;
      r.name = name;
      r.state = std::move(o.state);
      if (o.record) {
        r.shim_pid = o.record->shim_pid;
        r.pid = o.record->pid;
        r.limits = o.record->limits;
        r.cgroup = o.record->cgroup;
        if (o.record->launched_unix_ms > 0) {
          r.launched_at = FromUnixMillis(o.record->launched_unix_ms);
        }
      }
      out.push_back(std::move(r));
    }
  }
  if (ec) return Status(Code::kInternal, "list " + root_dir_ + ": " + ec.message());
  return out;
}

StatusOr<LogRead> ProcessDriver::ReadLog(std::string_view task_id, std::string_view name,
                                         std::string_view stream, int64_t from, size_t max) const {
  if (Status s = ValidateIds(task_id, name); !s.ok()) return s;
  if (stream != "stdout" && stream != "stderr") {
    return api::InvalidArgument("stream", "must be stdout or stderr");
  }
  const std::string dir = JoinPath(JoinPath(root_dir_, task_id), name);
  if (!IsDirectory(dir)) {
    return Status(Code::kNotFound, "container " + ContainerLabel(task_id, name) + " not found");
  }
  // The files first, then the index: an inode held open cannot be reused, so when the index
  // names it, it names this very file (the shim writes the index before it deletes anything).
  struct File {
    UniqueFd fd;
    std::string name;
    uint64_t inode = 0;
    int64_t size = 0;
    int64_t offset = -1;
  };
  std::vector<File> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string file = entry.path().filename().string();
    if (!IsLogFileOf(file, std::string(stream))) continue;
    UniqueFd fd(open(entry.path().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd.valid() || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    files.push_back(File{std::move(fd), std::move(file), static_cast<uint64_t>(st.st_ino),
                         static_cast<int64_t>(st.st_size)});
  }
  if (ec) return Status(Code::kInternal, "list " + dir + ": " + ec.message());
  const std::string current = std::string(stream) + ".log";
  if (auto text = internal::ReadSmallFile(JoinPath(dir, std::string(stream) + ".index"))) {
    auto index = internal::ParseLogIndex(*text);
    if (!index.ok()) {
      return Status(Code::kInternal,
                    dir + "/" + std::string(stream) + ".index: " + index.status().message());
    }
    for (File& f : files) {
      for (const internal::LogSegment& segment : *index) {
        if (segment.inode == f.inode) f.offset = segment.offset;
      }
    }
  } else {
    // Started by an agent that did not rotate: one file, from the start of the stream.
    for (File& f : files) {
      if (f.name == current) f.offset = 0;
    }
  }
  std::erase_if(files, [](const File& f) { return f.offset < 0; });
  std::sort(files.begin(), files.end(),
            [](const File& a, const File& b) { return a.offset < b.offset; });
  for (const File& f : files) {
    if (f.offset + f.size <= from) continue;
    LogRead out;
    out.offset = std::max(from, f.offset);
    size_t want = static_cast<size_t>(
        std::min<int64_t>(static_cast<int64_t>(max), f.offset + f.size - out.offset));
    out.data.resize(want);
    size_t got = 0;
    while (got < want) {
      ssize_t n = pread(f.fd.get(), out.data.data() + got, want - got,
                        static_cast<off_t>(out.offset - f.offset + static_cast<int64_t>(got)));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus(Code::kInternal, "read " + JoinPath(dir, f.name), errno);
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    out.data.resize(got);
    return out;
  }
  LogRead nothing;
  nothing.offset = from;
  return nothing;
}

std::string ProcessDriver::LogPath(std::string_view task_id, std::string_view name,
                                   std::string_view stream) const {
  if (!ValidateIds(task_id, name).ok() || (stream != "stdout" && stream != "stderr")) return "";
  return JoinPath(JoinPath(JoinPath(root_dir_, task_id), name), std::string(stream) + ".log");
}

}  // namespace gantry::agent
