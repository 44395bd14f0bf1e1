#include "api/service/authorizer.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>

namespace gantry::api {
namespace {

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::array<unsigned char, 32> Sha256(std::string_view s) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
  return out;
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

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kAdmin, Role::kEditor, Role::kViewer, Role::kAgent}) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}

std::optional<std::string_view> BearerToken(std::string_view header) {
  header = Trim(header);
  size_t space = header.find_first_of(" \t");
  if (space == std::string_view::npos) return std::nullopt;
  if (!EqualsIgnoreCase(header.substr(0, space), "bearer")) return std::nullopt;
  std::string_view token = Trim(header.substr(space + 1));
  if (token.empty()) return std::nullopt;
  return token;
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
    std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    std::vector<std::string_view> parts;
    while (true) {
      size_t comma = trimmed.find(',');
      parts.push_back(Trim(trimmed.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      trimmed.remove_prefix(comma + 1);
    }
    if (parts.size() != 3)
      return Status(Code::kInvalidArgument, where + "expected token,user,role");
    std::string_view token = parts[0];
    if (token.size() < 8)
      return Status(Code::kInvalidArgument, where + "tokens must be at least 8 characters");
    for (unsigned char c : token) {
      if (c <= 0x20 || c >= 0x7f)
        return Status(Code::kInvalidArgument,
                      where + "tokens may hold only printable ASCII characters without spaces");
    }
    if (parts[1].empty()) return Status(Code::kInvalidArgument, where + "the user is empty");
    auto role = ParseRole(parts[2]);
    if (!role) {
      return Status(Code::kInvalidArgument, where + "unknown role '" + std::string(parts[2]) +
                                                "' (expected admin, editor, viewer or agent)");
    }
    auto hash = Sha256(token);
    for (const Entry& e : a.tokens_) {
      if (e.token_sha256 == hash)
        return Status(Code::kInvalidArgument, where + "the same token is listed twice");
    }
    a.tokens_.push_back({hash, Principal{std::string(parts[1]), *role}});
  }
  if (a.tokens_.empty()) return Status(Code::kInvalidArgument, source + ": no tokens");
  return a;
}

Authorizer Authorizer::CertificatesOnly() {
  Authorizer a;
  a.trust_certificates_ = true;
  return a;
}

StatusOr<Principal> Authorizer::Authenticate(std::string_view header,
                                             const PeerCertificate* peer) const {
  if (Trim(header).empty()) {
    if (peer != nullptr && trust_certificates_) {
      for (const std::string& o : peer->organizations) {
        if (auto role = ParseRole(o)) {
          if (peer->common_name.empty())
            return Status(Code::kUnauthenticated, "the client certificate has no common name");
          return Principal{peer->common_name, *role};
        }
      }
      return Status(Code::kUnauthenticated,
                    "the client certificate names no role (its subject needs O=admin, O=editor, "
                    "O=viewer or O=agent)");
    }
    return Status(Code::kUnauthenticated,
                  tokens_.empty() ? "a client certificate is required"
                                  : "a bearer token is required (Authorization: Bearer TOKEN)");
  }
  auto token = BearerToken(header);
  if (!token) return Status(Code::kUnauthenticated, "only bearer tokens are accepted");
  // Compare hashes of equal length with every entry, so the time taken says nothing about how
  // much of a token was right or which entry matched.
  const auto presented = Sha256(*token);
  const Principal* found = nullptr;
  for (const Entry& e : tokens_) {
    if (CRYPTO_memcmp(e.token_sha256.data(), presented.data(), presented.size()) == 0)
      found = &e.principal;
  }
  if (found == nullptr) return Status(Code::kUnauthenticated, "invalid bearer token");
  return *found;
}

Status Authorizer::Authorize(const Principal& who, const AccessRequest& what) const {
  auto deny = [&](const std::string& why) {
    return Status(Code::kPermissionDenied,
                  "user \"" + who.user + "\" (" + RoleName(who.role) + ") " + why);
  };
  switch (who.role) {
    case Role::kAdmin:
    case Role::kEditor:
      return {};
    case Role::kViewer:
      // A viewer sees the cluster, not the credentials it runs with.
      if (what.access == Access::kRead && what.resource == "secrets")
        return deny("may not read secrets");
      if (what.access == Access::kRead) return {};
      return deny("may only read");
    case Role::kAgent:
      if (what.access == Access::kRead &&
          (what.resource == "containerinstances" || what.resource == "tasks" ||
           what.resource == "taskdefinitions")) {
        return {};
      }
      return deny(
          "may only read its own container instances, their tasks and the task definitions "
          "those name; it writes through the Agent service");
  }
  return deny("may not do this");
}

}  // namespace gantry::api
