#include "api/rest/service_plan_route.h"

#include <google/protobuf/util/json_util.h>

#include "api/rest/rest_handler.h"
#include "api/schema/kinds.h"

namespace gantry::rest {

bool ServicePlanRoute(const HttpRequest& r, HttpResponse& out, api::ObjectService& objects,
                      const ServicePlanner& planner) {
  static const std::string kPrefix = "/apis/gantry.dev/v1/services/";
  static const std::string kSuffix = "/plan";
  if (r.path.size() <= kPrefix.size() + kSuffix.size() || !r.path.starts_with(kPrefix) ||
      !r.path.ends_with(kSuffix)) {
    return false;
  }
  if (r.method != "POST") {
    out = ErrorResponse(api::Status(api::Code::kInvalidArgument,
                                    "a plan is asked for with POST and the Service as the body"));
    return true;
  }
  const std::string name =
      r.path.substr(kPrefix.size(), r.path.size() - kPrefix.size() - kSuffix.size());
  const schema::KindInfo& kind = *schema::FindKind("Service");
  auto body = DecodeRequestBody(r, kind);
  if (!body.ok()) {
    out = ErrorResponse(body.status());
    return true;
  }
  if (schema::MetaOf(**body).name() != name) {
    out = ErrorResponse(api::InvalidArgument("metadata.name", "the body names service \"" +
                                                                  schema::MetaOf(**body).name() +
                                                                  "\", the URL \"" + name + "\""));
    return true;
  }
  // As the write would store it: validated, defaults set, generation and status as they are.
  auto applied = objects.Apply(**body, {.dry_run = true});
  if (!applied.ok()) {
    out = ErrorResponse(applied.status());
    return true;
  }
  auto preview = planner(static_cast<const v1::Service&>(*applied->object));
  if (!preview.ok()) {
    out = ErrorResponse(preview.status());
    return true;
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  std::string json;
  if (auto st = google::protobuf::util::MessageToJsonString(*preview, &json, options); !st.ok()) {
    out = ErrorResponse(api::Status(api::Code::kInternal, std::string(st.message())));
    return true;
  }
  out.status = 200;
  out.content_type = "application/json";
  out.body = std::move(json);
  return true;
}

}  // namespace gantry::rest
