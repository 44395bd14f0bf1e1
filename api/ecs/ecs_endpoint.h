#pragma once

// The ECS-compatible endpoint on gantryd's REST port: picks out ECS calls (POST with an
// X-Amz-Target of ECS), authenticates them, and hands them to EcsHandler.
//
// Authentication:
//   with --aws-credentials-file   every call is SigV4-signed by a listed key (or carries a bearer
//                                 token the Authorizer accepts: gantryctl's own ECS verbs)
//   without it, on loopback       any call, signed with any key or not at all, is accepted
//   without it, off loopback      only bearer tokens the Authorizer accepts

#include <string>

#include "api/ecs/credentials.h"
#include "api/ecs/ecs_handler.h"
#include "api/rest/http_types.h"
#include "api/service/authorizer.h"
#include "api/service/clock.h"

namespace gantry::ecs {

struct EcsEndpointOptions {
  const Credentials* credentials = nullptr;     // not owned
  const api::Authorizer* authorizer = nullptr;  // not owned
  bool loopback_listener = true;
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
