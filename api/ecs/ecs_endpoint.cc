#include "api/ecs/ecs_endpoint.h"

#include "api/ecs/sigv4.h"

namespace gantry::ecs {
namespace {

rest::HttpResponse ToHttp(const EcsResponse& r) {
  rest::HttpResponse out;
  out.status = r.status;
  out.content_type = r.content_type;
  out.body = r.body;
  return out;
}

std::string OperationOf(const rest::HttpRequest& request) {
  auto target = request.headers.find("x-amz-target");
  if (target == request.headers.end()) return "";
  auto op = EcsOperationOf(target->second);
  return op ? std::string(*op) : "";
}

}  // namespace

bool EcsEndpoint::Serve(const rest::HttpRequest& request, rest::HttpResponse& response) const {
  auto target = request.headers.find("x-amz-target");
  if (target == request.headers.end()) return false;
  auto operation = EcsOperationOf(target->second);
  if (!operation) {
    // Another AWS service's target: answer in the AWS shape rather than with a REST 404.
    response =
        ToHttp(EcsError(400, "UnknownOperationException", "unknown target " + target->second));
    return true;
  }
  if (request.method != "POST") {
    response = ToHttp(EcsError(400, "ClientException", "ECS calls are POST requests"));
    return true;
  }
  if (auto denied = Authenticate(request)) {
    response = ToHttp(*denied);
    return true;
  }
  response = ToHttp(handler_.Handle(*operation, request.body));
  return true;
}

std::optional<EcsResponse> EcsEndpoint::Authenticate(const rest::HttpRequest& request) const {
  std::string authorization;
  if (auto it = request.headers.find("authorization"); it != request.headers.end())
    authorization = it->second;
  if (authorization.starts_with("Bearer ") && options_.authorizer) {
    auto who = options_.authorizer->Authenticate(authorization);
    if (!who.ok()) return EcsError(403, "UnrecognizedClientException", who.status().message());
    // Lists and descriptions read; everything else writes.
    const std::string op = OperationOf(request);
    const bool reads = op.starts_with("List") || op.starts_with("Describe");
    auto allowed = options_.authorizer->Authorize(
        *who, {reads ? api::Access::kRead : api::Access::kWrite, "tasks", "", "", false});
    if (!allowed.ok()) return EcsError(400, "AccessDeniedException", allowed.message());
    return std::nullopt;
  }
  if (options_.credentials) {
    SignedRequest signed_request{request.method, request.raw_path, request.raw_query,
                                 request.headers, request.body};
    auto verified = Verify(signed_request, *options_.credentials, clock_.Now());
    if (!verified.ok()) {
      const auto& e = verified.error();
      return EcsError(e.http_status, e.aws_type, e.message);
    }
    return std::nullopt;
  }
  if (options_.loopback_listener) return std::nullopt;
  return EcsError(400, "AccessDeniedException",
                  "this endpoint is not on loopback: sign requests with a key from "
                  "--aws-credentials-file or send a bearer token");
}

}  // namespace gantry::ecs
