#pragma once

// Who may do what. Transport-free: REST, gRPC and the ECS endpoint pass what they extracted (the
// Authorization header, the verified client certificate) and what is asked.
//
// Identities come from
//   --token-file        lines of `token,user,role` (bearer tokens)
//   --client-ca-file    client certificates signed by that CA: the subject's CN is the user and
//                       its first O that names a role is the role (O=agent, O=viewer, ...)
//   SigV4 keys          checked by the ECS endpoint (api/ecs), which maps a key to a Principal
// Roles:
//   admin   everything
//   editor  read and write every kind
//   viewer  read only (get, list, watch, metrics, logs), Secrets excepted
//   agent   (Kubernetes' NodeRestriction is the model) no writes through the object API at all:
//           it registers, heartbeats and reports through the Agent service, and only for the
//           container instances labelled gantry.dev/agent=<its user>; it reads only
//           ContainerInstances, Tasks and TaskDefinitions, and of those only what a ReadScope
//           shows it (its own instances, their tasks, the definitions those tasks name).

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/status/status.h"

namespace gantry::api {

enum class Role { kAdmin, kEditor, kViewer, kAgent };
const char* RoleName(Role role);
// "admin", "editor", "viewer" or "agent"; nullopt for anything else.
std::optional<Role> ParseRole(std::string_view name);

struct Principal {
  std::string user;
  Role role = Role::kViewer;
};

// What a verified client certificate says about its holder (filled by the transport after the
// TLS layer verified the chain against --client-ca-file).
struct PeerCertificate {
  std::string common_name;
  std::vector<std::string> organizations;
};

enum class Access { kRead, kWrite };

// What a request wants: the access, the resource (plural) and the object's name if one.
struct AccessRequest {
  Access access = Access::kRead;
  std::string resource;
  std::string object_name;
};

// A default-constructed Authorizer knows no tokens and trusts no certificates: it refuses
// everyone (authentication is on, but only SigV4 keys were configured, for the ECS endpoint).
class Authorizer {
 public:
  // Parses a token file. Errors name the line: "tokens.csv line 3: unknown role 'root' ...".
  // Secrets never appear in messages.
  static StatusOr<Authorizer> FromFile(const std::string& path);
  static StatusOr<Authorizer> FromText(std::string_view text, const std::string& source);
  // An authorizer with no tokens that trusts verified client certificates only.
  static Authorizer CertificatesOnly();

  // Trust client certificates the transport verified (--client-ca-file).
  void TrustClientCertificates() { trust_certificates_ = true; }

  // A bearer token (the scheme name is case-insensitive, RFC 7235) or, without an Authorization
  // header, a verified client certificate. kUnauthenticated (401) for a missing, malformed or
  // unknown credential. Token comparison takes the same time whichever token is presented.
  StatusOr<Principal> Authenticate(std::string_view authorization_header,
                                   const PeerCertificate* peer = nullptr) const;
  // 403 (kPermissionDenied) when the role may not do it.
  Status Authorize(const Principal& who, const AccessRequest& what) const;

 private:
  struct Entry {
    std::array<unsigned char, 32> token_sha256;
    Principal principal;
  };
  std::vector<Entry> tokens_;
  bool trust_certificates_ = false;
};

// The token of an `Authorization: Bearer TOKEN` header (scheme case-insensitive, surrounding
// whitespace ignored), or nullopt when the header is not a bearer credential.
std::optional<std::string_view> BearerToken(std::string_view authorization_header);

}  // namespace gantry::api
