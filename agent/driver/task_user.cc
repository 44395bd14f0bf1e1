#include "agent/driver/task_user.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <vector>

namespace gantry::agent {
namespace {

using api::Code;
using api::Status;

constexpr size_t kMaxNameLength = 256;
constexpr uint64_t kMaxId = 4294967294u;  // (uid_t)-1 means "unchanged" to setresuid

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !s.empty();
}

// One part of "user:group"; `start` is its position in the whole text (0-based).
Status CheckPart(std::string_view part, size_t start, std::string_view what,
                 std::string_view field) {
  const std::string f(field);
  if (part.empty()) {
    return api::InvalidArgument(
        f, "the " + std::string(what) + " at position " + std::to_string(start + 1) + " is empty");
  }
  if (part.size() > kMaxNameLength) {
    return api::InvalidArgument(f, "the " + std::string(what) + " at position " +
                                       std::to_string(start + 1) + " is longer than " +
                                       std::to_string(kMaxNameLength) + " characters");
  }
  if (AllDigits(part)) {
    if (part.size() > 10 || std::stoull(std::string(part)) > kMaxId) {
      return api::InvalidArgument(f, "the " + std::string(what) + " id at position " +
                                         std::to_string(start + 1) +
                                         " must be between 0 and 4294967294");
    }
    return Status();
  }
  for (size_t i = 0; i < part.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(part[i]);
    bool ok = std::isalnum(c) || c == '_' || c == '.' || (c == '-' && i > 0) ||
              (c == '$' && i + 1 == part.size() && i > 0);
    if (!ok) {
      std::string shown = std::isprint(c) ? std::string(1, static_cast<char>(c))
                                          : "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) +
                                                std::string(1, "0123456789abcdef"[c & 15]);
      return api::InvalidArgument(f, "character '" + shown + "' at position " +
                                         std::to_string(start + i + 1) + " is not allowed in a " +
                                         std::string(what) +
                                         " name (letters, digits, '_', '.', '-')");
    }
  }
  return Status();
}

std::vector<char> LookupBuffer() {
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  return std::vector<char>(size > 0 ? static_cast<size_t>(size) : 16384);
}

struct PasswdEntry {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

// nullopt when there is no such entry; an error when the database cannot be read.
api::StatusOr<std::optional<PasswdEntry>> LookupUser(const std::string& name, const uid_t* uid) {
  std::vector<char> buffer = LookupBuffer();
  for (;;) {
    struct passwd entry {};
    struct passwd* found = nullptr;
    int error = uid ? getpwuid_r(*uid, &entry, buffer.data(), buffer.size(), &found)
                    : getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (error == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    // ENOENT, ESRCH, EBADF and EPERM are how some implementations say "no such user".
    if (found == nullptr &&
        (error == 0 || error == ENOENT || error == ESRCH || error == EBADF || error == EPERM)) {
      return std::optional<PasswdEntry>();
    }
    if (found == nullptr) {
      return Status(Code::kUnavailable,
                    "cannot read the user database: error " + std::to_string(error));
    }
    return std::optional<PasswdEntry>(PasswdEntry{found->pw_uid, found->pw_gid, found->pw_name});
  }
}

api::StatusOr<std::optional<gid_t>> LookupGroup(const std::string& name) {
  std::vector<char> buffer = LookupBuffer();
  for (;;) {
    struct group entry {};
    struct group* found = nullptr;
    int error = getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (error == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (found == nullptr &&
        (error == 0 || error == ENOENT || error == ESRCH || error == EBADF || error == EPERM)) {
      return std::optional<gid_t>();
    }
    if (found == nullptr) {
      return Status(Code::kUnavailable,
                    "cannot read the group database: error " + std::to_string(error));
    }
    return std::optional<gid_t>(found->gr_gid);
  }
}

std::string Ids(uid_t uid, gid_t gid) { return std::to_string(uid) + ":" + std::to_string(gid); }

}  // namespace

api::StatusOr<UserSpec> ParseUserSpec(std::string_view text, std::string_view field) {
  if (text.empty()) return api::InvalidArgument(std::string(field), "must not be empty");
  size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    size_t second = text.find(':', colon + 1);
    if (second != std::string_view::npos) {
      return api::InvalidArgument(std::string(field),
                                  "a second ':' at position " + std::to_string(second + 1) +
                                      " (the form is user, uid, user:group or uid:gid)");
    }
  }
  UserSpec spec;
  spec.user = std::string(text.substr(0, colon));
  if (Status s = CheckPart(spec.user, 0, "user", field); !s.ok()) return s;
  if (colon != std::string_view::npos) {
    spec.group = std::string(text.substr(colon + 1));
    if (Status s = CheckPart(*spec.group, colon + 1, "group", field); !s.ok()) return s;
  }
  return spec;
}

TaskUserPolicy CurrentTaskUserPolicy(std::string default_user, bool allow_root_tasks) {
  TaskUserPolicy policy;
  policy.default_user = std::move(default_user);
  policy.allow_root_tasks = allow_root_tasks;
  policy.agent_uid = geteuid();
  policy.agent_gid = getegid();
  return policy;
}

api::StatusOr<TaskIdentity> ResolveTaskUser(std::string_view user, const TaskUserPolicy& policy) {
  const bool asked = !user.empty();
  const bool agent_is_root = policy.agent_uid == 0;
  if (!asked && !agent_is_root) {
    TaskIdentity self;
    self.uid = policy.agent_uid;
    self.gid = policy.agent_gid;
    self.description = Ids(self.uid, self.gid) + " (the agent's own user)";
    return self;
  }
  const std::string text = asked ? std::string(user) : policy.default_user;
  const std::string what = asked ? "user " + Quoted(text) : "the default task user " + Quoted(text);
  auto spec = ParseUserSpec(text, asked ? "user" : "--task-user");
  if (!spec.ok()) return spec.status();

  TaskIdentity id;
  std::string name;
  if (AllDigits(spec->user)) {
    id.uid = static_cast<uid_t>(std::stoull(spec->user));
    auto entry = LookupUser("", &id.uid);
    if (!entry.ok()) return entry.status();
    // A uid the machine does not know gets the group of the same number (Docker would use
    // group 0, i.e. root's group).
    id.gid = *entry ? (*entry)->gid : static_cast<gid_t>(id.uid);
    if (*entry) name = (*entry)->name;
  } else {
    auto entry = LookupUser(spec->user, nullptr);
    if (!entry.ok()) return entry.status();
    if (!*entry) {
      return Status(Code::kFailedPrecondition,
                    what + ": no user " + Quoted(spec->user) + " on this machine");
    }
    id.uid = (*entry)->uid;
    id.gid = (*entry)->gid;
    name = (*entry)->name;
  }
  if (spec->group) {
    if (AllDigits(*spec->group)) {
      id.gid = static_cast<gid_t>(std::stoull(*spec->group));
    } else {
      auto group = LookupGroup(*spec->group);
      if (!group.ok()) return group.status();
      if (!*group) {
        return Status(Code::kFailedPrecondition,
                      what + ": no group " + Quoted(*spec->group) + " on this machine");
      }
      id.gid = **group;
    }
  }
  id.description = Ids(id.uid, id.gid) + (name.empty() ? "" : " (" + name + ")");

  if (!agent_is_root) {
    if (id.uid == policy.agent_uid && (!spec->group || id.gid == policy.agent_gid)) {
      id.uid = policy.agent_uid;
      id.gid = policy.agent_gid;
      id.change = false;
      return id;
    }
    return Status(Code::kFailedPrecondition, what + " is " + id.description +
                                                 ", but the agent does not run as root (it is " +
                                                 Ids(policy.agent_uid, policy.agent_gid) +
                                                 ") and can run tasks only as itself");
  }
  if (id.uid == 0 || id.gid == 0) {
    if (!asked) {
      return Status(Code::kFailedPrecondition,
                    what + " is " + id.description +
                        ": tasks without a user never run as root; choose an unprivileged "
                        "--task-user");
    }
    if (!policy.allow_root_tasks) {
      return Status(Code::kFailedPrecondition,
                    what + " is " + id.description +
                        ", and uid or gid 0 is root: the agent runs tasks as root only when "
                        "started with --allow-root-tasks");
    }
  }
  id.change = true;
  return id;
}

}  // namespace gantry::agent
