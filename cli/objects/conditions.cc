#include "cli/objects/conditions.h"

#include <strings.h>

#include <string>

namespace gantry::cli {

std::vector<const v1::Condition*> ConditionsOf(const google::protobuf::Message& object) {
  std::vector<const v1::Condition*> out;
  const auto* status_field = object.GetDescriptor()->FindFieldByName("status");
  if (!status_field || status_field->message_type() == nullptr) return out;
  const auto& status = object.GetReflection()->GetMessage(object, status_field);
  const auto* field = status.GetDescriptor()->FindFieldByName("conditions");
  if (!field || !field->is_repeated() || field->message_type() != v1::Condition::descriptor())
    return out;
  const auto& reflection = *status.GetReflection();
  for (int i = 0; i < reflection.FieldSize(status, field); ++i) {
    const auto* c = google::protobuf::DynamicCastToGenerated<v1::Condition>(
        &reflection.GetRepeatedMessage(status, field, i));
    if (c) out.push_back(c);
  }
  return out;
}

const v1::Condition* FindCondition(const google::protobuf::Message& object, std::string_view type) {
  const std::string wanted(type);
  for (const v1::Condition* c : ConditionsOf(object))
    if (strcasecmp(c->type().c_str(), wanted.c_str()) == 0) return c;
  return nullptr;
}

}  // namespace gantry::cli
