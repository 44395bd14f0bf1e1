#include "cli/fleet/internal/ecs_call.h"

#include <ostream>

#include "cli/fleet/internal/http_exchange.h"

namespace gantry::cli::fleet_internal {
namespace {

using api::Code;
using api::Status;

constexpr std::string_view kTargetPrefix = "AmazonEC2ContainerServiceV20141113.";

Code CodeFor(int http_status) {
  if (http_status >= 500) return Code::kInternal;
  if (http_status == 403 || http_status == 401) return Code::kPermissionDenied;
  if (http_status == 404) return Code::kNotFound;
  return Code::kInvalidArgument;
}

}  // namespace

api::StatusOr<Json> CallEcs(const GlobalOptions& global, std::string_view operation,
                            const Json& request) {
  auto endpoint = global.ServerEndpoint();
  if (!endpoint.ok()) return endpoint.status();
  HttpRequestSpec spec;
  spec.method = "POST";
  spec.path_and_query = "/";
  spec.headers.emplace_back("X-Amz-Target", std::string(kTargetPrefix) + std::string(operation));
  spec.content_type = "application/x-amz-json-1.1";
  spec.body = request.dump();
  auto reply = Exchange(*endpoint, global.token, spec);
  if (!reply.ok()) return Status(Code::kUnavailable, TransportErrorText(reply.status().message()));
  Json body = Json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (reply->status == 200) {
    if (body.is_object()) return body;
    return Status(Code::kInternal, "the server sent a " + std::string(operation) +
                                       " response this client cannot read");
  }
  if (body.is_object() && body.contains("__type")) {
    // AWS may qualify the type ("com.amazonaws.ecs#ClientException"); the short name is the one
    // users know.
    std::string type = StringAt(body, "__type");
    if (size_t hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
    std::string message = StringAt(body, "message");
    if (message.empty()) message = StringAt(body, "Message");
    return Status(CodeFor(reply->status), message.empty() ? type : type + ": " + message);
  }
  // Not an ECS answer: a gantryd without the ECS endpoint, or something else on that port.
  std::string said = body.is_object() ? StringAt(body, "message") : "";
  if (said.empty()) said = reply->body.substr(0, 200);
  return Status(CodeFor(reply->status), "the server at " + global.server + " did not answer " +
                                            std::string(operation) + " as an ECS endpoint (HTTP " +
                                            std::to_string(reply->status) +
                                            (said.empty() ? ")" : "): " + said));
}

std::string TransportErrorText(const std::string& message) {
  if (message.starts_with("cannot connect") || message.starts_with("cannot resolve")) {
    return message + " (is gantryd running there? set --server or GANTRY_SERVER)";
  }
  return message;
}

std::string PrettyJson(const Json& json) { return json.dump(4); }

std::string StringAt(const Json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(std::string(key));
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::string IdOf(std::string_view arn_or_id) {
  if (!arn_or_id.starts_with("arn:")) return std::string(arn_or_id);
  size_t slash = arn_or_id.rfind('/');
  if (slash == std::string_view::npos) return std::string(arn_or_id);
  return std::string(arn_or_id.substr(slash + 1));
}

int Fail(const CommandContext& ctx, const api::Status& status) {
  return ReportError(ctx, status.ToString());
}

std::string ParseNamesAndCluster(const std::vector<std::string>& args, const std::string& verb,
                                 const std::string& usage, size_t max, const std::string& noun,
                                 std::vector<std::string>& names, std::string& cluster) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--cluster", "", value, error)) {
      if (!error.empty()) return error;
      cluster = value;
    } else if (args[i].starts_with("-")) {
      return "unknown flag " + args[i] + " (" + usage + ")";
    } else {
      names.push_back(args[i]);
    }
  }
  if (names.empty()) return usage;
  if (names.size() > max) {
    return verb + " takes at most " + std::to_string(max) + " " + noun + " at a time";
  }
  return "";
}

}  // namespace gantry::cli::fleet_internal
