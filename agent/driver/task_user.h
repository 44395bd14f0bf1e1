#pragma once

// Whom a container runs as. The container definition's `user` (ECS: "user", "uid", "uid:gid",
// "user:group", "uid:group", "user:gid") names it; without one, an agent running as root uses its
// default task user (`--task-user`, "nobody"). Root (uid 0 or gid 0) needs both an explicit
// `user` asking for it and an agent that allows root tasks. An agent not running as root cannot
// change user: it runs tasks as itself and refuses a definition asking for anyone else.
//
// Names are looked up in the system's user and group databases (getpwnam_r, getgrnam_r) before
// the fork, never after it.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "api/status/status.h"

namespace gantry::agent {

// "user[:group]" split and checked: each part is a name or a number.
struct UserSpec {
  std::string user;
  std::optional<std::string> group;
};

// kInvalidArgument naming `field` and the position for an empty part, a bad character or a
// number out of range (0 to 4294967294).
api::StatusOr<UserSpec> ParseUserSpec(std::string_view text, std::string_view field = "user");

struct TaskUserPolicy {
  std::string default_user = "nobody";  // --task-user, for an agent running as root
  bool allow_root_tasks = false;        // --allow-root-tasks
  uid_t agent_uid = 0;                  // geteuid() of the agent
  gid_t agent_gid = 0;                  // getegid()
};

// The policy of this process: its effective ids with the given default user and root setting.
TaskUserPolicy CurrentTaskUserPolicy(std::string default_user, bool allow_root_tasks);

struct TaskIdentity {
  // False: the container runs as the agent (an agent not running as root).
  bool change = false;
  uid_t uid = 0;
  gid_t gid = 0;
  // "65534:65534 (nobody)", for error messages and the exit record.
  std::string description;
};

// Whom a container with definition user `user` ("" when the definition has none) runs as.
// kFailedPrecondition says why it may not run: a name that does not resolve, root without
// --allow-root-tasks, another user on an agent not running as root.
api::StatusOr<TaskIdentity> ResolveTaskUser(std::string_view user, const TaskUserPolicy& policy);

}  // namespace gantry::agent
