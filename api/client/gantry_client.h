#pragma once

// Typed access to gantryd's REST API: objects in and out as protobuf messages.

#include <google/protobuf/message.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/client/apply_options.h"
#include "api/client/http_client.h"
#include "api/schema/kinds.h"
#include "api/status/status.h"

namespace gantry::client {

using ObjectPtr = std::unique_ptr<google::protobuf::Message>;

struct ApplyReply {
  std::string outcome;  // created | configured | unchanged
  ObjectPtr object;
};

struct ListReply {
  std::vector<ObjectPtr> items;
  std::string resource_version;
};

class GantryClient {
 public:
  explicit GantryClient(HttpClient http) : http_(std::move(http)) {}

  // A plain apply is a PUT; a server-side one a PATCH of application/apply-patch+yaml holding
  // exactly the fields it sets.
  api::StatusOr<ApplyReply> Apply(const schema::KindInfo& kind,
                                  const google::protobuf::Message& object,
                                  const ApplyOptions& options = {});
  api::StatusOr<ObjectPtr> Get(const schema::KindInfo& kind, const std::string& name);
  api::StatusOr<ListReply> List(const schema::KindInfo& kind,
                                const std::string& label_selector = "");
  // With `resource_version`: only the object as it is at that version (409 if it changed).
  api::StatusOr<ObjectPtr> Delete(const schema::KindInfo& kind, const std::string& name,
                                  bool dry_run = false, const std::string& resource_version = "");
  // Calls on_event(type, object) for each event until it returns false or the stream ends.
  api::Status Watch(const schema::KindInfo& kind, const std::string& resource_version,
                    const std::string& label_selector,
                    const std::function<bool(const std::string& type, ObjectPtr object)>& on_event);

  const HttpClient& http() const { return http_; }

 private:
  api::StatusOr<ObjectPtr> Parse(const schema::KindInfo& kind, const std::string& json) const;
  HttpClient http_;
};

// The API status for an error response ({"code","reason","message"}), or a generic one.
api::Status StatusFromResponse(const HttpResult& result);
std::string UrlEncode(const std::string& s);

}  // namespace gantry::client
