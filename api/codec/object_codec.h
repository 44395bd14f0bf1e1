#pragma once

// Manifests (YAML or JSON, one or many documents) to typed objects and back.
//
// Decoding walks the YAML tree against the protobuf descriptor of the kind, so every error names
// the source, document, line, column and field path:
//   web.yaml: document 2, line 9, column 7: spec.desiredCount: must be an integer, got 'two'
// Unknown fields, repeated fields, wrong types and unknown kinds are errors. Field names are the
// protobuf JSON names (apiVersion, desiredCount); a YAML null leaves a field unset.

#include <google/protobuf/message.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/codec/yaml_document.h"
#include "api/schema/field_paths.h"
#include "api/schema/kinds.h"
#include "api/status/status.h"

namespace gantry::codec {

struct Manifest {
  const schema::KindInfo* kind = nullptr;
  std::unique_ptr<google::protobuf::Message> object;
  int document = 0;    // 1-based index in the stream
  Mark mark;           // where the document starts
  std::string source;  // the file (or <stdin>) it came from
  // Every field the document gives (a null gives none), as schema/field_paths.h names them: what
  // a server-side apply of it sets, zeros and empty lists included.
  schema::FieldSet fields;
};

// Whether a file holds manifests, by its name: .yaml, .yml or .json.
bool IsManifestFileName(std::string_view name);

// Where a manifest was read, for errors about it: "deploy/web.yaml: document 2, line 17".
std::string PlaceOf(const Manifest& manifest);

// Errors are InvalidArgument with the field path in Status::field() and the position in the
// message.
api::StatusOr<std::vector<Manifest>> DecodeManifests(std::string_view text,
                                                     std::string_view source_name);

// One object from a YAML tree (the document of a manifest, or a request body).
api::StatusOr<Manifest> DecodeObject(const YamlNode& document, std::string_view source_name,
                                     int document_index);

// JSON with protobuf's mapping (lowerCamelCase names, default values omitted).
std::string ToJson(const google::protobuf::Message& message, bool pretty = false);
// Block-style YAML of the same fields.
std::string ToYaml(const google::protobuf::Message& message);
// YAML of exactly `fields` (as Manifest::fields names them), default values included: the body
// of a server-side apply, which reads the fields it sets from the keys it is given.
std::string ToYaml(const google::protobuf::Message& message, const schema::FieldSet& fields);

}  // namespace gantry::codec
