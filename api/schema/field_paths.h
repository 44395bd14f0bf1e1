#pragma once

// Fields of an object named by path, for server-side apply's field ownership.
//
// A path uses the JSON names and walks singular messages: "spec.desiredCount",
// "spec.deploymentConfiguration.maximumPercent". A list is one field ("spec.placementStrategy"),
// set and compared whole; a map is a field per key, the key in brackets as the last step
// ("metadata.labels[gantry.dev/inventory]": keys may hold dots, field names never hold '[').
// Paths come from the manifest codec, from stored metadata.managedFields and from gRPC
// requests: one that names nothing in the message is ignored, never an error.

#include <google/protobuf/message.h>

#include <set>
#include <string>
#include <string_view>

namespace gantry::schema {

using FieldSet = std::set<std::string, std::less<>>;

// "metadata.labels" + "app" -> "metadata.labels[app]".
std::string MapKeyPath(std::string_view map_path, std::string_view key);

// Whether the paths name the same field or one lies inside the other (spec.a and spec.a.b).
bool FieldsOverlap(std::string_view a, std::string_view b);

// Whether two objects of one type hold the same value at `path` (a missing map key is a value).
bool SameValueAt(const google::protobuf::Message& a, const google::protobuf::Message& b,
                 std::string_view path);

// Makes `path` in `to` what it is in `from`: a map key missing in `from` goes from `to`.
void CopyFieldAt(const google::protobuf::Message& from, google::protobuf::Message& to,
                 std::string_view path);

// Resets `path` to its default; removes a map key.
void ClearFieldAt(google::protobuf::Message& object, std::string_view path);

// Where `after` differs from `before` under the message field `root` ("spec", "metadata.labels"):
// leaf paths whose value changed, and map keys that went away.
struct FieldChanges {
  FieldSet changed;
  FieldSet removed;
};
FieldChanges ChangedFields(const google::protobuf::Message& before,
                           const google::protobuf::Message& after, std::string_view root);

}  // namespace gantry::schema
