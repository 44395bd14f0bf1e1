#include "api/service/authorizer.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace gantry::api {
namespace {

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string_view::npos ? "" : std::string(s.substr(b, e - b + 1));
}

}  // namespace

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kEditor:
      return "editor";
    case Role::kViewer:
      return "viewer";
    case Role::kAgent:
      return "agent";
  }
  return "?";
}

StatusOr<Authorizer> Authorizer::FromFile(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Status(Code::kInvalidArgument, path + ": cannot open the token file");
  std::stringstream text;
  text << f.rdbuf();
  return FromText(text.str(), path);
}

StatusOr<Authorizer> Authorizer::FromText(std::string_view text, const std::string& source) {
  Authorizer a;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string where = source + " line " + std::to_string(number) + ": ";
    std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    std::vector<std::string> parts;
    std::stringstream fields(trimmed);
    std::string part;
    while (std::getline(fields, part, ',')) parts.push_back(Trim(part));
    if (parts.size() != 3)
      return Status(Code::kInvalidArgument, where + "expected token,user,role");
    const std::string& token = parts[0];
    if (token.size() < 8)
      return Status(Code::kInvalidArgument, where + "tokens must be at least 8 characters");
    if (parts[1].empty()) return Status(Code::kInvalidArgument, where + "the user is empty");
    Role role;
    if (parts[2] == "admin") {
      role = Role::kAdmin;
    } else if (parts[2] == "editor") {
      role = Role::kEditor;
    } else if (parts[2] == "viewer") {
      role = Role::kViewer;
    } else if (parts[2] == "agent") {
      role = Role::kAgent;
    } else {
      return Status(Code::kInvalidArgument, where + "unknown role '" + parts[2] +
                                                "' (expected admin, editor, viewer or agent)");
    }
    if (!a.tokens_.emplace(token, Principal{parts[1], role}).second) {
      return Status(Code::kInvalidArgument, where + "the same token is listed twice");
    }
  }
  if (a.tokens_.empty()) return Status(Code::kInvalidArgument, source + ": no tokens");
  return a;
}

StatusOr<Principal> Authorizer::Authenticate(std::string_view header) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.empty())
    return Status(Code::kUnauthenticated,
                  "a bearer token is required (Authorization: Bearer TOKEN)");
  if (!header.starts_with(kBearer))
    return Status(Code::kUnauthenticated, "only bearer tokens are accepted");
  auto it = tokens_.find(Trim(header.substr(kBearer.size())));
  if (it == tokens_.end()) return Status(Code::kUnauthenticated, "invalid bearer token");
  return it->second;
}

Status Authorizer::Authorize(const Principal& who, const AccessRequest& what) const {
  auto deny = [&](const std::string& why) {
    return Status(Code::kPermissionDenied,
                  "user \"" + who.user + "\" (" + RoleName(who.role) + ") " + why);
  };
  if (what.access == Access::kRead) return {};
  switch (who.role) {
    case Role::kAdmin:
    case Role::kEditor:
      return {};
    case Role::kViewer:
      return deny("may only read");
    case Role::kAgent:
      if (what.resource == "containerinstances" && what.object_name == who.user) return {};
      if (what.resource == "tasks" && what.status_only && what.owner_instance == who.user)
        return {};
      if (what.resource == "events") return {};
      return deny("may write only its own container instance and the status of its tasks");
  }
  return deny("may not do this");
}

}  // namespace gantry::api
