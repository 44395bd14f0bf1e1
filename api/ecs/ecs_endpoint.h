#pragma once

// The ECS-compatible endpoint on gantryd's REST port: picks out ECS calls (POST with an
// X-Amz-Target of ECS), authenticates them, and hands them to EcsHandler.
//
// Authentication, once any is configured (tokens, SigV4 keys, client certificates), for every
// call, reads included:
//   Authorization: AWS4-HMAC-SHA256 ...  a SigV4 signature by a key of --aws-credentials-file
//                                        that covers host, x-amz-date, x-amz-target,
//                                        content-type and every x-amz-* header sent; the key's
//                                        role applies
//   Authorization: Bearer TOKEN          a token of --token-file (scheme in any case)
//   no Authorization header              a verified client certificate, else 403
//                                        MissingAuthenticationTokenException
// Then the role: viewers may call List* and Describe* only; agents may not call the ECS API
// (they have the Agent service). With no authentication configured at all (gantryd then listens
// on loopback only) every call is accepted, signed with any key or not at all.

#include <string>

#include "api/ecs/credentials.h"
#include "api/ecs/ecs_handler.h"
#include "api/rest/http_types.h"
#include "api/service/authorizer.h"
#include "api/service/clock.h"

namespace gantry::ecs {

struct EcsEndpointOptions {
  const Credentials* credentials = nullptr;  // not owned; SigV4 keys
  // Not owned; bearer tokens and client certificates. Set whenever any authentication is
  // configured (a default-constructed Authorizer refuses every token).
  const api::Authorizer* authorizer = nullptr;
};

class EcsEndpoint {
 public:
  EcsEndpoint(const EcsHandler& handler, EcsEndpointOptions options, const api::Clock& clock)
      : handler_(handler), options_(options), clock_(clock) {}

  // Answers an ECS call and returns true; false (untouched) for any other request.
  bool Serve(const rest::HttpRequest& request, rest::HttpResponse& response) const;

 private:
  // An error response when the caller may not call, nullopt when it may.
  std::optional<EcsResponse> Authenticate(const rest::HttpRequest& request) const;

  const EcsHandler& handler_;
  const EcsEndpointOptions options_;
  const api::Clock& clock_;
};

}  // namespace gantry::ecs
