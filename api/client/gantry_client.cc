#include "api/client/gantry_client.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "api/codec/object_codec.h"
#include "gantry/v1/meta.pb.h"

namespace gantry::client {
namespace {

using api::Code;
using api::Status;

Code CodeForHttp(int status, const std::string& reason) {
  switch (status) {
    case 400:
      return Code::kInvalidArgument;
    case 401:
      return Code::kUnauthenticated;
    case 403:
      return Code::kPermissionDenied;
    case 404:
      return Code::kNotFound;
    case 409:
      return reason == "AlreadyExists" ? Code::kAlreadyExists : Code::kAborted;
    case 410:
      return Code::kOutOfRange;
    case 412:
      return Code::kFailedPrecondition;
    case 413:
      return Code::kResourceExhausted;
    case 501:
      return Code::kUnimplemented;
    case 503:
      return Code::kUnavailable;
    default:
      return Code::kInternal;
  }
}

std::string Base(const schema::KindInfo& kind) { return "/apis/gantry.dev/v1/" + kind.plural; }

}  // namespace

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

Status StatusFromResponse(const HttpResult& r) {
  google::protobuf::Struct body;
  std::string reason, message;
  if (google::protobuf::util::JsonStringToMessage(r.body, &body).ok()) {
    auto it = body.fields().find("message");
    if (it != body.fields().end()) message = it->second.string_value();
    it = body.fields().find("reason");
    if (it != body.fields().end()) reason = it->second.string_value();
  }
  if (message.empty()) message = "server answered HTTP " + std::to_string(r.status);
  return Status(CodeForHttp(r.status, reason), message);
}

api::StatusOr<ObjectPtr> GantryClient::Parse(const schema::KindInfo& kind,
                                             const std::string& json) const {
  ObjectPtr m = schema::NewObject(kind);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer server may know more fields
  if (!google::protobuf::util::JsonStringToMessage(json, m.get(), options).ok()) {
    return Status(Code::kInternal,
                  "the server sent a " + kind.singular + " this client cannot read");
  }
  return m;
}

api::StatusOr<ApplyReply> GantryClient::Apply(const schema::KindInfo& kind,
                                              const google::protobuf::Message& object,
                                              const ApplyOptions& options) {
  std::string query;
  auto add = [&](const std::string& parameter) {
    query += (query.empty() ? "?" : "&") + parameter;
  };
  if (options.dry_run) add("dryRun=All");
  if (!options.field_manager.empty()) add("fieldManager=" + UrlEncode(options.field_manager));
  if (options.server_side && options.force_conflicts) add("force=true");
  const std::string path = Base(kind) + "/" + UrlEncode(schema::MetaOf(object).name()) + query;
  auto r = [&] {
    if (options.server_side) {
      return http_.Request(
          "PATCH", path,
          options.fields ? codec::ToYaml(object, *options.fields) : codec::ToYaml(object),
          "application/apply-patch+yaml");
    }
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(object, &json);
    return http_.Request("PUT", path, json);
  }();
  if (!r.ok()) return r.status();
  if (r->status != 200 && r->status != 201) return StatusFromResponse(*r);
  auto parsed = Parse(kind, r->body);
  if (!parsed.ok()) return parsed.status();
  ApplyReply reply;
  auto it = r->headers.find("x-gantry-apply-outcome");
  reply.outcome =
      it != r->headers.end() ? it->second : (r->status == 201 ? "created" : "configured");
  reply.object = std::move(*parsed);
  return reply;
}

api::StatusOr<ObjectPtr> GantryClient::Get(const schema::KindInfo& kind, const std::string& name) {
  auto r = http_.Request("GET", Base(kind) + "/" + UrlEncode(name));
  if (!r.ok()) return r.status();
  if (r->status != 200) return StatusFromResponse(*r);
  return Parse(kind, r->body);
}

api::StatusOr<ListReply> GantryClient::List(const schema::KindInfo& kind,
                                            const std::string& selector) {
  // Pages of 500 keep the server's memory flat however many objects there are.
  constexpr int kPage = 500;
  ListReply out;
  std::string token;
  do {
    std::string path = Base(kind) + "?limit=" + std::to_string(kPage);
    if (!selector.empty()) path += "&labelSelector=" + UrlEncode(selector);
    if (!token.empty()) path += "&continue=" + UrlEncode(token);
    auto r = http_.Request("GET", path);
    if (!r.ok()) return r.status();
    if (r->status != 200) return StatusFromResponse(*r);
    google::protobuf::Struct list;
    if (!google::protobuf::util::JsonStringToMessage(r->body, &list).ok()) {
      return Status(Code::kInternal, "the server sent a list this client cannot read");
    }
    token.clear();
    auto meta = list.fields().find("metadata");
    if (meta != list.fields().end()) {
      const auto& mf = meta->second.struct_value().fields();
      if (auto rv = mf.find("resourceVersion"); rv != mf.end() && out.resource_version.empty()) {
        out.resource_version = rv->second.string_value();
      }
      if (auto c = mf.find("continue"); c != mf.end()) token = c->second.string_value();
    }
    auto items = list.fields().find("items");
    if (items != list.fields().end()) {
      for (const auto& item : items->second.list_value().values()) {
        std::string json;
        (void)google::protobuf::util::MessageToJsonString(item, &json);
        auto m = Parse(kind, json);
        if (!m.ok()) return m.status();
        out.items.push_back(std::move(*m));
      }
    }
  } while (!token.empty());
  return out;
}

api::StatusOr<ObjectPtr> GantryClient::Delete(const schema::KindInfo& kind, const std::string& name,
                                              bool dry_run, const std::string& resource_version) {
  std::string query;
  if (dry_run) query += "&dryRun=All";
  if (!resource_version.empty()) query += "&resourceVersion=" + UrlEncode(resource_version);
  if (!query.empty()) query[0] = '?';
  auto r = http_.Request("DELETE", Base(kind) + "/" + UrlEncode(name) + query);
  if (!r.ok()) return r.status();
  if (r->status != 200) return StatusFromResponse(*r);
  return Parse(kind, r->body);
}

api::Status GantryClient::Watch(
    const schema::KindInfo& kind, const std::string& resource_version, const std::string& selector,
    const std::function<bool(const std::string&, ObjectPtr)>& on_event) {
  std::string path = Base(kind) + "?watch=1&resourceVersion=" + UrlEncode(resource_version);
  if (!selector.empty()) path += "&labelSelector=" + UrlEncode(selector);
  Status failure;
  auto code = http_.Stream(
      path,
      [&](const std::string& line) {
        if (line.empty()) return true;
        google::protobuf::Struct event;
        if (!google::protobuf::util::JsonStringToMessage(line, &event).ok()) return true;
        auto type = event.fields().find("type");
        auto object = event.fields().find("object");
        if (type == event.fields().end() || object == event.fields().end()) {
          // An error response body rather than an event.
          HttpResult r;
          r.status = 500;
          r.body = line;
          failure = StatusFromResponse(r);
          return false;
        }
        if (type->second.string_value() == "BOOKMARK") return true;
        if (type->second.string_value() == "ERROR") {
          failure = Status(Code::kOutOfRange,
                           object->second.struct_value().fields().count("message")
                               ? object->second.struct_value().fields().at("message").string_value()
                               : "watch ended");
          return false;
        }
        std::string json;
        (void)google::protobuf::util::MessageToJsonString(object->second, &json);
        auto m = Parse(kind, json);
        if (!m.ok()) return true;
        return on_event(type->second.string_value(), std::move(*m));
      },
      std::chrono::hours(24));
  if (!code.ok()) return code.status();
  if (*code != 200 && failure.ok()) {
    return Status(CodeForHttp(*code, ""), "watch failed with HTTP " + std::to_string(*code));
  }
  return failure;
}

}  // namespace gantry::client
