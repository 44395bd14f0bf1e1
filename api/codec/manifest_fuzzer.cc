// libFuzzer target: arbitrary text as a manifest stream (YAML or JSON, one or many documents:
// what `gantryctl apply -f` reads) and as a REST PUT/POST body (one document). Must never crash,
// hang or leak; bad input is InvalidArgument; and every object decoded re-encodes, as JSON
// (ToJson, the REST answers) and as YAML (ToYaml, `gantryctl get -o yaml`), to text that decodes
// to the same object.

#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/codec/object_codec.h"
#include "api/codec/yaml_document.h"

namespace {

using gantry::codec::Manifest;

// Decodes `text` as one object and checks it equals `want`.
void ExpectSameObject(const std::string& text, const Manifest& want) {
  auto again = gantry::codec::DecodeManifests(text, "re-encoded");
  if (!again.ok()) __builtin_trap();
  if (again->size() != 1) __builtin_trap();
  const Manifest& got = (*again)[0];
  if (got.kind != want.kind) __builtin_trap();
  if (!google::protobuf::util::MessageDifferencer::Equals(*got.object, *want.object))
    __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto manifests = gantry::codec::DecodeManifests(text, "fuzz.yaml");
  if (!manifests.ok()) {
    if (manifests.status().code() != gantry::api::Code::kInvalidArgument) __builtin_trap();
  } else {
    for (const Manifest& m : *manifests) {
      if (m.kind == nullptr || m.object == nullptr) __builtin_trap();
      const std::string json = gantry::codec::ToJson(*m.object);
      if (json.empty()) __builtin_trap();
      ExpectSameObject(json, m);
      ExpectSameObject(gantry::codec::ToJson(*m.object, /*pretty=*/true), m);
      ExpectSameObject(gantry::codec::ToYaml(*m.object), m);
    }
  }

  // The REST handler's path: the first document of the body, decoded on its own, agrees.
  gantry::codec::YamlError error;
  auto docs = gantry::codec::ParseYaml(text, error);
  if (!docs && manifests.ok()) __builtin_trap();
  if (docs && !docs->empty()) {
    auto one = gantry::codec::DecodeObject((*docs)[0], "request body", 1);
    if (!one.ok() && one.status().code() != gantry::api::Code::kInvalidArgument) __builtin_trap();
    if (manifests.ok()) {
      if (!one.ok()) __builtin_trap();
      if (!google::protobuf::util::MessageDifferencer::Equals(*one->object,
                                                              *(*manifests)[0].object))
        __builtin_trap();
    }
  }
  return 0;
}
