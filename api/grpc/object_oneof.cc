#include "api/grpc/object_oneof.h"

namespace gantry::grpcapi {

api::StatusOr<const schema::KindInfo*> KindOf(const v1::Object& o,
                                              const google::protobuf::Message** message) {
  const auto* r = o.GetReflection();
  const auto* oneof = o.GetDescriptor()->FindOneofByName("kind");
  const auto* field = r->GetOneofFieldDescriptor(o, oneof);
  if (!field) return api::InvalidArgument("object", "no object given");
  *message = &r->GetMessage(o, field);
  const schema::KindInfo* kind = schema::FindKind(field->message_type()->name());
  if (!kind) return api::InvalidArgument("object", "unknown kind");
  return kind;
}

void Wrap(const google::protobuf::Message& m, v1::Object* out) {
  const auto* d = out->GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->message_type() == m.GetDescriptor()) {
      out->GetReflection()->MutableMessage(out, d->field(i))->CopyFrom(m);
      return;
    }
  }
}

api::StatusOr<std::unique_ptr<google::protobuf::Message>> Unwrap(const v1::Object& o) {
  const google::protobuf::Message* inside = nullptr;
  auto kind = KindOf(o, &inside);
  if (!kind.ok()) return kind.status();
  std::unique_ptr<google::protobuf::Message> copy(inside->New());
  copy->CopyFrom(*inside);
  schema::SetTypeMeta(*copy, **kind);
  return copy;
}

}  // namespace gantry::grpcapi
