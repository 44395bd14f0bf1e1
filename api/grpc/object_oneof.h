#pragma once

// gantry.v1.Object (a oneof of every kind) and the typed object inside it, both ways: what the
// gRPC server and client put on the wire for any kind.

#include <google/protobuf/message.h>

#include <memory>

#include "api/schema/kinds.h"
#include "api/status/status.h"
#include "gantry/v1/services.pb.h"

namespace gantry::grpcapi {

// The kind of the object `o` holds, with `*message` pointing at it; kInvalidArgument on field
// object when it holds none.
api::StatusOr<const schema::KindInfo*> KindOf(const v1::Object& o,
                                              const google::protobuf::Message** message);
// `m` as the matching member of `out`.
void Wrap(const google::protobuf::Message& m, v1::Object* out);
// A copy of the object `o` holds, its apiVersion and kind set.
api::StatusOr<std::unique_ptr<google::protobuf::Message>> Unwrap(const v1::Object& o);

}  // namespace gantry::grpcapi
