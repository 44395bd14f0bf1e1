#pragma once

// Who may do what. Tokens come from a file of `token,user,role` lines; roles:
//   admin   everything
//   editor  read and write every kind
//   viewer  read only (get, list, watch, metrics)
//   agent   read everything; write only its own ContainerInstance (named after the user) and
//           the status of Tasks assigned to it
// Transport-free: REST and gRPC pass what they extracted (a bearer token) and what is asked.

#include <map>
#include <string>
#include <string_view>

#include "api/status/status.h"

namespace gantry::api {

enum class Role { kAdmin, kEditor, kViewer, kAgent };
const char* RoleName(Role role);

struct Principal {
  std::string user;
  Role role = Role::kViewer;
};

enum class Access { kRead, kWrite };

// What a request wants: the access, the resource (plural) and, for writes by agents, whom the
// object belongs to (ContainerInstance name, or a Task's spec.containerInstance).
struct AccessRequest {
  Access access = Access::kRead;
  std::string resource;
  std::string object_name;
  std::string owner_instance;  // for tasks: the instance the task is assigned to
  bool status_only = false;    // a status subresource write
};

class Authorizer {
 public:
  // Parses a token file. Errors name the line: "tokens.csv line 3: unknown role 'root' ...".
  static StatusOr<Authorizer> FromFile(const std::string& path);
  static StatusOr<Authorizer> FromText(std::string_view text, const std::string& source);

  // 401 (kUnauthenticated) for a missing or unknown token.
  StatusOr<Principal> Authenticate(std::string_view authorization_header) const;
  // 403 (kPermissionDenied) when the role may not do it.
  Status Authorize(const Principal& who, const AccessRequest& what) const;

 private:
  std::map<std::string, Principal, std::less<>> tokens_;
};

}  // namespace gantry::api
