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
  if (!options_.credentials && !options_.authorizer) return std::nullopt;  // loopback, no auth
  std::string authorization;
  if (auto it = request.headers.find("authorization"); it != request.headers.end())
    authorization = it->second;
  const std::string_view trimmed = [&] {
    std::string_view v = authorization;
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    return v;
  }();

  api::Principal who;
  if (trimmed.starts_with("AWS4-HMAC-SHA256")) {
    if (!options_.credentials) {
      return EcsError(403, "UnrecognizedClientException",
                      "this server has no SigV4 keys (--aws-credentials-file); send a bearer "
                      "token instead");
    }
    SignedRequest signed_request{request.method, request.raw_path, request.raw_query,
                                 request.headers, request.body};
    auto verified = Verify(signed_request, *options_.credentials, clock_.Now());
    if (!verified.ok()) {
      const auto& e = verified.error();
      return EcsError(e.http_status, e.aws_type, e.message);
    }
    if (auto incomplete =
            CheckSignedHeaders(signed_request, verified.caller(),
                               {"host", "x-amz-date", "x-amz-target", "content-type"})) {
      return EcsError(incomplete->http_status, incomplete->aws_type, incomplete->message);
    }
    who = {verified.caller().access_key_id,
           options_.credentials->Find(verified.caller().access_key_id)->role};
  } else if (trimmed.empty() && !request.peer_certificate) {
    return EcsError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
  } else if (options_.authorizer) {
    auto authenticated = options_.authorizer->Authenticate(
        authorization, request.peer_certificate ? &*request.peer_certificate : nullptr);
    if (!authenticated.ok())
      return EcsError(403, "UnrecognizedClientException", authenticated.status().message());
    who = *authenticated;
  } else {
    return EcsError(403, "IncompleteSignatureException",
                    "this server accepts only SigV4 signatures (Authorization: AWS4-HMAC-SHA256 "
                    "...)");
  }

  const std::string op = OperationOf(request);
  const bool reads = op.starts_with("List") || op.starts_with("Describe");
  switch (who.role) {
    case api::Role::kAdmin:
    case api::Role::kEditor:
      return std::nullopt;
    case api::Role::kViewer:
      if (reads) return std::nullopt;
      return EcsError(400, "AccessDeniedException",
                      "user \"" + who.user + "\" (viewer) may only call List* and Describe*");
    case api::Role::kAgent:
      break;
  }
  return EcsError(
      400, "AccessDeniedException",
      "user \"" + who.user + "\" (agent) may not call the ECS API; agents use the Agent service");
}

}  // namespace gantry::ecs
