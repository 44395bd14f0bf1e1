#pragma once

// The REST mapping of the service layer (no HTTP library here):
//
// clang-format off
//   GET    /apis/gantry.dev/v1/{plural}                list (?labelSelector=, ?limit=, ?continue=)
//                                                      or watch (?watch=1&resourceVersion=N)
//   POST   /apis/gantry.dev/v1/{plural}                create (409 if it exists)
//   GET    /apis/gantry.dev/v1/{plural}/{name}         get
//   PUT    /apis/gantry.dev/v1/{plural}/{name}         apply (201 created, 200 configured or
//                                                      unchanged; X-Gantry-Apply-Outcome says which)
//   PATCH  /apis/gantry.dev/v1/{plural}/{name}         JSON merge patch (application/merge-patch+json),
//                                                      or server-side apply (application/apply-patch+yaml
//                                                      or +json; ?fieldManager= required, ?force=true)
//   DELETE /apis/gantry.dev/v1/{plural}/{name}         delete (?resourceVersion= precondition)
//   PUT    /apis/gantry.dev/v1/{plural}/{name}/status  replace the status
//   GET    /healthz, /readyz
// clang-format on
// Writes take ?dryRun=All (or true) and ?fieldManager=NAME (who owns the fields they change).
// Errors are {"code":409,"reason":"Conflict","message":"..."}. Thread-safe; `service` is not owned
// and must outlive the handler.

#include <optional>

#include "api/rest/http_types.h"
#include "api/service/authorizer.h"
#include "api/service/object_service.h"
#include "api/service/read_scope.h"

namespace gantry::rest {

class RestHandler {
 public:
  // `authorizer` (optional, not owned) turns on authentication; `read_scope` (optional, not
  // owned) narrows what partial readers (agents) see.
  explicit RestHandler(api::ObjectService& service, const api::Authorizer* authorizer = nullptr,
                       const api::ReadScope* read_scope = nullptr)
      : service_(service), authorizer_(authorizer), read_scope_(read_scope) {}

  // Who is asking: nullopt when authentication is off, kUnauthenticated (401) when it is on and
  // the request carries no valid bearer token or verified client certificate.
  api::StatusOr<std::optional<api::Principal>> Authenticate(const HttpRequest& request) const;
  // 403 (kPermissionDenied) when `who` may not make this request.
  api::Status Authorize(const api::Principal& who, const HttpRequest& request) const;
  // Both, for a request of the object API; /healthz and /readyz are open.
  api::StatusOr<std::optional<api::Principal>> Admit(const HttpRequest& request) const;
  // `who` (from Admit) narrows reads for partial readers; nullptr when authentication is off.
  HttpResponse Handle(const HttpRequest& request, const api::Principal* who = nullptr);

  // An unpaginated list is streamed in pages of this many objects; a larger `limit` is answered
  // with this many and a continue token (Kubernetes lets servers return fewer than asked).
  static constexpr size_t kMaxPage = 500;

 private:
  api::ObjectService& service_;
  const api::Authorizer* authorizer_;
  const api::ReadScope* read_scope_;
};

// {"code":N,"reason":"...","message":"..."} for a status.
HttpResponse ErrorResponse(const api::Status& status);

// A request body holding exactly one object of `kind`, JSON or YAML; errors name the line and
// column.
api::StatusOr<api::ObjectPtr> DecodeRequestBody(const HttpRequest& request,
                                                const schema::KindInfo& kind);

}  // namespace gantry::rest
