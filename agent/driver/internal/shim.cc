#include "agent/driver/internal/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>  // renameat
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace gantry::agent::internal {
namespace {

// The container's process group, for the signal handlers. Set before a handler can first run
// (they are blocked until the shim waits for the container).
volatile sig_atomic_t g_pgid = 0;

// A request from the agent: sival_int = signal | seconds_until_sigkill << 8.
void OnRequest(int, siginfo_t* info, void*) {
  if (g_pgid <= 0 || info->si_code != SI_QUEUE) return;
  int saved = errno;
  unsigned value = static_cast<unsigned>(info->si_value.sival_int);
  int sig = static_cast<int>(value & 0xffu);
  unsigned after = value >> 8;
  if (sig > 0 && sig < NSIG) kill(-g_pgid, sig);
  if (after > 0) {
    // Keep the earlier of two deadlines.
    unsigned pending = alarm(after);
    if (pending != 0 && pending < after) alarm(pending);
  }
  errno = saved;
}

void OnStopDeadline(int) {
  int saved = errno;
  if (g_pgid > 0) kill(-g_pgid, SIGKILL);
  errno = saved;
}

// SIGTERM/SIGINT/SIGHUP sent to the shim itself (a shutdown sending TERM to every process, an
// operator) go to the container, and the shim stays to record how it ended.
void OnForward(int sig) {
  int saved = errno;
  if (g_pgid > 0) kill(-g_pgid, sig);
  errno = saved;
}

// SIGCHLD only has to interrupt ppoll: the loop then asks waitid whether the main process ended.
void OnChild(int) {}

bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Reads up to `size` bytes; fewer only at end of file or on error.
size_t ReadFull(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  size_t got = 0;
  while (got < size) {
    ssize_t n = read(fd, p + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

bool WriteString(const char* path, const char* text, size_t size) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = WriteAll(fd, text, size);
  int saved = errno;
  close(fd);
  errno = saved;
  return ok;
}

// Formats into the plan's preallocated buffer; truncates rather than overflows.
class Text {
 public:
  Text(char* buffer, size_t capacity) : buffer_(buffer), capacity_(capacity) {}

  void Append(const char* s) {
    if (s == nullptr) return;
    for (; *s != '\0' && size_ < capacity_; ++s) buffer_[size_++] = *s;
  }

  void AppendInt(long long value) {
    bool negative = value < 0;
    if (negative && size_ < capacity_) buffer_[size_++] = '-';
    AppendUnsigned(negative ? 0ull - static_cast<unsigned long long>(value)
                            : static_cast<unsigned long long>(value));
  }

  void AppendUnsigned(unsigned long long v) {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0 && size_ < capacity_) buffer_[size_++] = digits[--n];
  }

  const char* data() const { return buffer_; }
  size_t size() const { return size_; }
  bool full() const { return size_ >= capacity_; }

 private:
  char* buffer_;
  size_t capacity_;
  size_t size_ = 0;
};

void AppendFinished(Text& text) {
  struct timespec now {};
  clock_gettime(CLOCK_REALTIME, &now);
  text.Append("finished-unix-ms: ");
  text.AppendInt(static_cast<long long>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000);
  text.Append("\n");
}

// exit.tmp then rename, relative to the directory opened before fork: if the task directory was
// removed meanwhile, this fails instead of writing into a new directory of the same name.
void WriteExitFile(const LaunchPlan& p, const Text& text) {
  int fd = openat(p.dir_fd, "exit.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  bool ok = WriteAll(fd, text.data(), text.size());
  ok = fsync(fd) == 0 && ok;
  close(fd);
  if (ok) {
    renameat(p.dir_fd, "exit.tmp", p.dir_fd, "exit");
  } else {
    unlinkat(p.dir_fd, "exit.tmp", 0);
  }
}

void WriteExecError(const LaunchPlan& p, int32_t stage, int32_t error) {
  Text text(p.exit_buffer, p.exit_buffer_size);
  text.Append("exec-error: ");
  if (stage == kStageAborted) {
    text.Append("the agent went away before recording the container");
  } else if (error > 0 && error < p.errno_text_size && p.errno_text[error] != nullptr) {
    text.Append(p.errno_text[error]);
  } else {
    text.Append("error ");
    text.AppendInt(error);
  }
  text.Append("\nerrno: ");
  text.AppendInt(error);
  text.Append("\n");
  if (stage > kStageNone && stage < kStageCount && p.during[stage] != nullptr) {
    text.Append("during: ");
    text.Append(p.during[stage]);
    text.Append("\n");
  }
  AppendFinished(text);
  WriteExitFile(p, text);
}

void WriteExitStatus(const LaunchPlan& p, bool signaled, int value) {
  Text text(p.exit_buffer, p.exit_buffer_size);
  text.Append(signaled ? "signal: " : "exit-code: ");
  text.AppendInt(value);
  text.Append("\n");
  AppendFinished(text);
  WriteExitFile(p, text);
}

// The index of a stream as it will be once `fresh` (inode, offset) is the newest file and the
// `keep` newest files now in use have moved down one name: temp file, then rename.
bool WriteIndex(const LaunchPlan& p, const LogStream& s, uint64_t fresh_inode, int64_t fresh_offset,
                int keep) {
  Text text(s.index_buffer, s.index_buffer_size);
  for (int i = 0; i <= keep; ++i) {
    text.Append(s.names[i]);
    text.Append(": inode=");
    text.AppendUnsigned(i == 0 ? fresh_inode : s.inodes[i - 1]);
    text.Append(" offset=");
    text.AppendInt(i == 0 ? fresh_offset : s.offsets[i - 1]);
    text.Append("\n");
  }
  if (text.full()) return false;
  int fd = openat(p.dir_fd, s.index_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = WriteAll(fd, text.data(), text.size());
  close(fd);
  if (ok && renameat(p.dir_fd, s.index_tmp, p.dir_fd, s.index_name) == 0) return true;
  unlinkat(p.dir_fd, s.index_tmp, 0);
  return false;
}

// The current file is full: a new one takes its name and the others move down one
// (stdout.log -> stdout.log.1 -> ...), the oldest beyond log_max_files going away. The index is
// written first, so no index ever names an inode that was deleted (and could be reused); a reader
// that sees a file the index does not know yet skips it for now. False (and nothing changed) when
// the new file or the index cannot be written.
bool Rotate(const LaunchPlan& p, LogStream& s) {
  int fd = openat(p.dir_fd, s.new_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  struct stat st {};
  const int keep = s.files < p.log_max_files - 1 ? s.files : p.log_max_files - 1;
  const int64_t fresh_offset = s.offsets[0] + s.size;
  if (fstat(fd, &st) != 0 ||
      !WriteIndex(p, s, static_cast<uint64_t>(st.st_ino), fresh_offset, keep)) {
    close(fd);
    unlinkat(p.dir_fd, s.new_name, 0);
    return false;
  }
  for (int i = keep; i >= 1; --i) {
    renameat(p.dir_fd, s.names[i - 1], p.dir_fd, s.names[i]);
    s.inodes[i] = s.inodes[i - 1];
    s.offsets[i] = s.offsets[i - 1];
  }
  renameat(p.dir_fd, s.new_name, p.dir_fd, s.names[0]);
  s.inodes[0] = static_cast<uint64_t>(st.st_ino);
  s.offsets[0] = fresh_offset;
  s.files = keep + 1;
  close(s.file_fd);
  s.file_fd = fd;
  s.size = 0;
  return true;
}

// Appends to the stream's log, rotating at log_max_size. What cannot be written (a full disk, a
// rotation that failed) is dropped: the container must never block on its logs.
void WriteLog(const LaunchPlan& p, LogStream& s, const char* data, size_t size) {
  while (size > 0) {
    if (s.size >= p.log_max_size && !Rotate(p, s)) return;
    size_t room = static_cast<size_t>(p.log_max_size - s.size);
    ssize_t n = write(s.file_fd, data, size < room ? size : room);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s.size += n;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// One read from the stream's pipe into its log; closes the pipe at end of file. The bytes read,
// 0 at end of file, -1 when nothing was there.
ssize_t Pump(const LaunchPlan& p, LogStream& s) {
  if (s.read_fd < 0) return 0;
  ssize_t n = read(s.read_fd, p.pump_buffer, p.pump_buffer_size);
  if (n > 0) {
    WriteLog(p, s, p.pump_buffer, static_cast<size_t>(n));
    return n;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return -1;
  close(s.read_fd);
  s.read_fd = -1;
  return 0;
}

// What is left in the pipe once the container's processes are gone. Bounded: a process that
// escaped the group (without a cgroup) may still hold the pipe and keep writing; once the shim
// closes its end, that process gets EPIPE.
void Drain(const LaunchPlan& p, LogStream& s) {
  size_t drained = 0;
  while (drained < (size_t{4} << 20)) {
    ssize_t n = Pump(p, s);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
  if (s.read_fd >= 0) close(s.read_fd);
  s.read_fd = -1;
  close(s.file_fd);
  s.file_fd = -1;
}

void Send(const LaunchPlan& p, int32_t kind, pid_t shim, pid_t child, int32_t stage,
          int32_t error) {
  ShimMessage message;
  message.kind = kind;
  message.shim_pid = shim;
  message.child_pid = child;
  message.stage = stage;
  message.error = error;
  WriteAll(p.report_fd, &message, sizeof message);  // atomic: smaller than PIPE_BUF
}

void CloseRange(unsigned low, unsigned high, int fd_limit) {
  if (low > high) return;
#ifdef SYS_close_range
  if (syscall(SYS_close_range, low, high, 0) == 0) return;
#endif
  for (unsigned fd = low; fd <= high && fd < static_cast<unsigned>(fd_limit); ++fd) close(fd);
}

// Closes every descriptor from 3 up except `keep` (the agent's sockets and other pipes must not
// live on in a long-lived shim).
void CloseAllExcept(int* keep, int count, int fd_limit) {
  for (int i = 1; i < count; ++i) {  // insertion sort: a handful of fds
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  }
  unsigned low = 3;
  for (int i = 0; i < count; ++i) {
    if (keep[i] < 3) continue;
    unsigned fd = static_cast<unsigned>(keep[i]);
    if (fd > low) CloseRange(low, fd - 1, fd_limit);
    if (fd + 1 > low) low = fd + 1;
  }
  CloseRange(low, ~0u, fd_limit);
}

void ResetSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, nullptr);  // fails harmlessly for the C library's reserved signals
  }
}

void InstallHandlers(int control_signal) {
  struct sigaction sa {};
  sigfillset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;

  sa.sa_handler = SIG_IGN;  // a report to an agent that died must not kill the shim
  sigaction(SIGPIPE, &sa, nullptr);

  sa.sa_handler = OnForward;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);

  sa.sa_handler = OnStopDeadline;
  sigaction(SIGALRM, &sa, nullptr);

  sa.sa_handler = OnChild;
  sigaction(SIGCHLD, &sa, nullptr);

  struct sigaction rq {};
  sigfillset(&rq.sa_mask);
  rq.sa_flags = SA_RESTART | SA_SIGINFO;
  rq.sa_sigaction = OnRequest;
  sigaction(control_signal, &rq, nullptr);
}

// Kills what is left in the cgroup (processes that left the process group), reaps what was
// reparented to the shim, and removes the cgroup; bounded, an unkillable process must not keep
// the exit code from being recorded.
void CleanupCgroup(const LaunchPlan& p, bool killed) {
  if (p.cgroup_dir == nullptr) return;
  for (int attempt = 0; attempt < (killed ? 500 : 1); ++attempt) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (rmdir(p.cgroup_dir) == 0 || errno != EBUSY) return;
    struct timespec pause {
      0, 10'000'000
    };
    nanosleep(&pause, nullptr);
  }
}

[[noreturn]] void FailChild(int exec_fd, int32_t stage, int32_t error) {
  int32_t message[2] = {stage, error};
  WriteAll(exec_fd, message, sizeof message);
  _exit(127);
}

[[noreturn]] void RunContainer(const LaunchPlan& p, int exec_fd, pid_t shim) {
  setpgid(0, 0);
  // If the shim dies (kill -9), the container dies with it instead of running unrecorded.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (getppid() != shim) _exit(127);
  close(p.report_fd);
  close(p.dir_fd);
  for (const LogStream& s : p.streams) {  // the shim's ends
    close(s.read_fd);
    close(s.file_fd);
  }

  char go = 0;
  ssize_t n;
  do {
    n = read(p.go_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) FailChild(exec_fd, kStageAborted, 0);
  close(p.go_fd);

  // Joining the cgroup and lowering limits need the agent's privileges; they come first.
  if (p.cgroup_procs != nullptr && !WriteString(p.cgroup_procs, "0", 1)) {
    FailChild(exec_fd, kStageCgroup, errno);
  }
  if (p.data_limit != 0) {
    struct rlimit limit {
      p.data_limit, p.data_limit
    };
    if (setrlimit(RLIMIT_DATA, &limit) != 0) FailChild(exec_fd, kStageRlimit, errno);
  }
  if (dup2(p.devnull_fd, 0) < 0 || dup2(p.streams[0].write_fd, 1) < 0 ||
      dup2(p.streams[1].write_fd, 2) < 0) {
    FailChild(exec_fd, kStageStdio, errno);
  }
  if (p.change_user) {
    // Supplementary groups first: once the uid is not root, they could no longer be dropped.
    // Raw system calls: glibc's wrappers would try to signal the agent's other threads.
    if (syscall(SYS_setgroups, 0, nullptr) != 0) FailChild(exec_fd, kStageUser, errno);
    if (syscall(SYS_setresgid, p.gid, p.gid, p.gid) != 0) FailChild(exec_fd, kStageUser, errno);
    if (syscall(SYS_setresuid, p.uid, p.uid, p.uid) != 0) FailChild(exec_fd, kStageUser, errno);
    // A change of credentials clears the parent-death signal.
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != shim) _exit(127);
  }
  // As the task's user, so it enters only directories that user may enter. fchdir needs no
  // access to the (agent-only) directories above its own.
  if (fchdir(p.work_fd) != 0) FailChild(exec_fd, kStageChdir, errno);
  if (p.chdir_path != nullptr && chdir(p.chdir_path) != 0) FailChild(exec_fd, kStageChdir, errno);
  ResetSignals();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (p.exec_path == nullptr) FailChild(exec_fd, kStageExec, ENOENT);
  execve(p.exec_path, p.argv, p.envp);
  FailChild(exec_fd, kStageExec, errno);
}

// `ps` shows a process's argument area: the shim inherited the agent's, so without this every
// shim looks like another agent. Only memset/memcpy and a syscall: safe after fork.
void SetTitle(const LaunchPlan& p) {
  prctl(PR_SET_NAME, "gantry-shim", 0, 0, 0);
  if (p.title == nullptr || p.title_area == nullptr || p.title_area_size < 2) return;
  size_t n = strlen(p.title);
  if (n > p.title_area_size - 1) n = p.title_area_size - 1;
  memset(p.title_area, 0, p.title_area_size);
  memcpy(p.title_area, p.title, n);
}

[[noreturn]] void RunShim(const LaunchPlan& plan) {
  LaunchPlan p = plan;  // the shim's log streams change as it writes
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  ResetSignals();  // the agent's handlers and ignored signals are not the shim's
  SetTitle(p);

  LogStream& out = p.streams[0];
  LogStream& err = p.streams[1];
  int keep[] = {p.dir_fd,     p.devnull_fd, p.work_fd,   p.report_fd,  p.go_fd,    out.read_fd,
                out.write_fd, out.file_fd,  err.read_fd, err.write_fd, err.file_fd};
  CloseAllExcept(keep, static_cast<int>(sizeof keep / sizeof keep[0]), p.fd_limit);
  // The agent's stdio may be a terminal or a test runner's pipe that must see EOF.
  dup2(p.devnull_fd, 0);
  dup2(p.devnull_fd, 1);
  dup2(p.devnull_fd, 2);
  // Orphaned descendants come back to the shim, which reaps them (and kills them with the group).
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  InstallHandlers(p.control_signal);

  pid_t self = getpid();
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
    int error = errno;
    WriteExecError(p, kStageFork, error);
    Send(p, kPids, self, 0, kStageFork, error);
    _exit(0);
  }
  pid_t child = _Fork();  // no atfork handlers: we are a child of a multi-threaded process
  if (child < 0) {
    int error = errno;
    WriteExecError(p, kStageFork, error);
    Send(p, kPids, self, 0, kStageFork, error);
    _exit(0);
  }
  if (child == 0) {
    close(exec_pipe[0]);
    RunContainer(p, exec_pipe[1], self);
  }
  setpgid(child, child);  // the child does it too; whichever runs first
  g_pgid = child;
  close(exec_pipe[1]);
  close(p.go_fd);
  close(p.work_fd);
  // Only the container's processes hold the write ends now: end of file means they are gone.
  close(out.write_fd);
  close(err.write_fd);
  fcntl(out.read_fd, F_SETFL, O_NONBLOCK);
  fcntl(err.read_fd, F_SETFL, O_NONBLOCK);
  Send(p, kPids, self, child, kStageNone, 0);

  int32_t result[2] = {kStageNone, 0};
  size_t got = ReadFull(exec_pipe[0], result, sizeof result);
  close(exec_pipe[0]);
  if (got == sizeof result) {
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    CleanupCgroup(p, false);
    Drain(p, out);
    Drain(p, err);
    WriteExecError(p, result[0], result[1]);
    Send(p, kExecResult, self, child, result[0], result[1]);
    _exit(0);
  }
  Send(p, kExecResult, self, child, kStageNone, 0);
  close(p.report_fd);

  // Copy the output into the logs until the main process ends, with the request signals (and
  // SIGCHLD) deliverable only inside ppoll, so none slips in between the check and the wait.
  // WNOWAIT keeps the main process a zombie, so its pid, which is the process group id, cannot
  // be reused while the group is still signalled.
  sigset_t waiting = all;
  sigdelset(&waiting, p.control_signal);
  sigdelset(&waiting, SIGALRM);
  sigdelset(&waiting, SIGTERM);
  sigdelset(&waiting, SIGINT);
  sigdelset(&waiting, SIGHUP);
  sigdelset(&waiting, SIGCHLD);
  siginfo_t info{};
  bool have_info = false;
  for (;;) {
    info = siginfo_t{};
    if (waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
      if (info.si_pid == child) {
        have_info = true;
        break;
      }
    } else if (errno != EINTR) {
      break;
    }
    struct pollfd fds[2];
    LogStream* streams[2];
    nfds_t count = 0;
    for (LogStream* s : {&out, &err}) {
      if (s->read_fd < 0) continue;
      fds[count] = pollfd{s->read_fd, POLLIN, 0};
      streams[count++] = s;
    }
    if (ppoll(count > 0 ? fds : nullptr, count, nullptr, &waiting) > 0) {
      for (nfds_t i = 0; i < count; ++i) {
        if (fds[i].revents != 0) Pump(p, *streams[i]);
      }
    }
  }
  sigprocmask(SIG_SETMASK, &all, nullptr);
  alarm(0);

  // No orphans: whatever the main process left behind in its group goes with it.
  kill(-child, SIGKILL);
  bool cgroup_killed = p.cgroup_kill != nullptr && WriteString(p.cgroup_kill, "1", 1);
  int status = 0;
  bool have_status = false;
  for (;;) {
    int s = 0;
    pid_t reaped = waitpid(-child, &s, 0);
    if (reaped == child) {
      status = s;
      have_status = true;
    }
    if (reaped > 0 || errno == EINTR) continue;
    break;
  }
  // The logs are complete before the exit is recorded.
  Drain(p, out);
  Drain(p, err);
  CleanupCgroup(p, cgroup_killed);

  if (have_info && (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED)) {
    WriteExitStatus(p, true, info.si_status);
  } else if (have_info) {
    WriteExitStatus(p, false, info.si_status);
  } else if (have_status && WIFSIGNALED(status)) {
    WriteExitStatus(p, true, WTERMSIG(status));
  } else if (have_status) {
    WriteExitStatus(p, false, WEXITSTATUS(status));
  }
  _exit(0);
}

int ExitCodeFor(int error) { return error > 0 && error < 256 ? error : 255; }

}  // namespace

void RunIntermediate(const LaunchPlan& p) {
  // The agent's handlers must not run in this copy of it.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  if (setsid() < 0) _exit(ExitCodeFor(errno));
  pid_t shim = _Fork();  // no atfork handlers: we are a child of a multi-threaded process
  if (shim < 0) _exit(ExitCodeFor(errno));
  if (shim == 0) RunShim(p);
  _exit(0);
}

}  // namespace gantry::agent::internal
