#pragma once

// gantryctl's calls to the ECS endpoint on gantryd's REST port, as the AWS CLI makes them:
// `POST /`, X-Amz-Target AmazonEC2ContainerServiceV20141113.<Operation>, Content-Type
// application/x-amz-json-1.1, a JSON body shaped as botocore's ecs/2014-11-13 model; gantryctl
// authenticates with its bearer token instead of SigV4 (the endpoint accepts both).
//
// JSON is nlohmann's ordered_json, so a response prints with its members in the server's order
// (as the AWS CLI prints them); it stays inside cli/fleet.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/status/status.h"
#include "cli/objects/context.h"

namespace gantry::cli::fleet_internal {

using Json = nlohmann::ordered_json;

// The response of `operation`, or an error worded for the terminal (print it after "error: "):
//   an ECS error                {"__type": T, "message": M}  →  "T: M"
//   the server cannot be reached                             →  "cannot connect to ...: ..."
//   anything else                                            →  what the server said, with HTTP
api::StatusOr<Json> CallEcs(const GlobalOptions& global, std::string_view operation,
                            const Json& request);

// Indented by four, as the AWS CLI prints a response.
std::string PrettyJson(const Json& json);

// A string member, "" when absent or not a string.
std::string StringAt(const Json& object, std::string_view key);

// The id at the end of an ARN (".../task/default/0a1b" → "0a1b"), or the argument itself.
std::string IdOf(std::string_view arn_or_id);

// A transport error's message, with a hint when nothing answered at the server's address.
std::string TransportErrorText(const std::string& message);

// `NAME... [--cluster C]`: one to `max` names (`noun`, e.g. "tasks", names them in the
// message). Returns an error text for the terminal, "" when the arguments are fine.
std::string ParseNamesAndCluster(const std::vector<std::string>& args, const std::string& verb,
                                 const std::string& usage, size_t max, const std::string& noun,
                                 std::vector<std::string>& names, std::string& cluster);

// Prints "error: <message>" for a status from CallEcs or a local check; returns 1.
int Fail(const CommandContext& ctx, const api::Status& status);

}  // namespace gantry::cli::fleet_internal
