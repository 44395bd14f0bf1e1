#pragma once

// The REST mapping of the service layer (no HTTP library here):
//
//   GET    /apis/gantry.dev/v1/{plural}                 list (?labelSelector=) or watch
//   (?watch=1&resourceVersion=N) POST   /apis/gantry.dev/v1/{plural}                 create (409 if
//   it exists) GET    /apis/gantry.dev/v1/{plural}/{name}          get PUT
//   /apis/gantry.dev/v1/{plural}/{name}          apply (201 created, 200 configured/unchanged;
//                                                       X-Gantry-Apply-Outcome says which)
//   PATCH  /apis/gantry.dev/v1/{plural}/{name}          JSON merge patch
//   (application/merge-patch+json) DELETE /apis/gantry.dev/v1/{plural}/{name}          delete
//   (?resourceVersion= precondition) PUT    /apis/gantry.dev/v1/{plural}/{name}/status   replace
//   the status GET    /healthz, /readyz
// Writes take ?dryRun=All (or true). Errors are {"code":409,"reason":"Conflict","message":"..."}.
// Thread-safe; `service` is not owned and must outlive the handler.

#include "api/rest/http_types.h"
#include "api/service/authorizer.h"
#include "api/service/object_service.h"

namespace gantry::rest {

class RestHandler {
 public:
  // `authorizer` (optional, not owned) turns on bearer-token authentication.
  explicit RestHandler(api::ObjectService& service, const api::Authorizer* authorizer = nullptr)
      : service_(service), authorizer_(authorizer) {}

  // Authentication (401) and authorization (403) for any request; /healthz and /readyz are open.
  api::Status Admit(const HttpRequest& request);
  HttpResponse Handle(const HttpRequest& request);

 private:
  api::ObjectService& service_;
  const api::Authorizer* authorizer_;
};

// {"code":N,"reason":"...","message":"..."} for a status.
HttpResponse ErrorResponse(const api::Status& status);

}  // namespace gantry::rest
