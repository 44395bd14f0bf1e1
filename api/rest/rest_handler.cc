#include "api/rest/rest_handler.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cerrno>

#include "api/codec/json_string.h"
#include "api/codec/object_codec.h"
#include "api/codec/yaml_document.h"
#include "gantry/v1/meta.pb.h"

namespace gantry::rest {
namespace {

using api::Code;
using api::Status;

constexpr std::string_view kPrefix = "/apis/gantry.dev/v1/";

HttpResponse Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

bool DryRun(const HttpRequest& req) {
  auto it = req.query.find("dryRun");
  return it != req.query.end() &&
         (it->second == "All" || it->second == "true" || it->second == "1");
}

std::string Query(const HttpRequest& req, const std::string& key) {
  auto it = req.query.find(key);
  return it == req.query.end() ? "" : it->second;
}

// protobuf's JSON parser is several times faster than reading JSON as YAML; it is tried first
// for JSON bodies, and the strict YAML reader runs only to explain a body it rejects.
api::ObjectPtr TryFastJson(const std::string& body, const schema::KindInfo& kind) {
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || body[first] != '{') return nullptr;
  api::ObjectPtr m = schema::NewObject(kind);
  if (!google::protobuf::util::JsonStringToMessage(body, m.get()).ok()) return nullptr;
  const auto* d = m->GetDescriptor();
  const auto* r = m->GetReflection();
  if (r->GetString(*m, d->FindFieldByName("kind")) != kind.kind ||
      r->GetString(*m, d->FindFieldByName("api_version")) != schema::kApiVersion) {
    return nullptr;  // let the full reader name the problem
  }
  return m;
}

// Parses a request body holding exactly one object of `kind`, noting the fields it gives.
api::StatusOr<codec::Manifest> DecodeManifestBody(const HttpRequest& req,
                                                  const schema::KindInfo& kind) {
  codec::YamlError error;
  auto docs = codec::ParseYaml(req.body, error);
  if (!docs) {
    return Status(Code::kInvalidArgument, "request body: line " + std::to_string(error.mark.line) +
                                              ", column " + std::to_string(error.mark.column) +
                                              ": " + error.message);
  }
  if (docs->size() != 1) {
    return Status(Code::kInvalidArgument, "request body must hold exactly one object, found " +
                                              std::to_string(docs->size()));
  }
  auto m = codec::DecodeObject((*docs)[0], "request body", 1);
  if (!m.ok()) return m.status();
  if (m->kind != &kind) {
    return Status(Code::kInvalidArgument,
                  "request body is a " + m->kind->kind + ", but the URL is for " + kind.plural,
                  "kind");
  }
  return m;
}

// Parses a request body holding exactly one object of `kind`.
api::StatusOr<api::ObjectPtr> DecodeBody(const HttpRequest& req, const schema::KindInfo& kind) {
  if (auto fast = TryFastJson(req.body, kind)) return fast;
  auto m = DecodeManifestBody(req, kind);
  if (!m.ok()) return m.status();
  return std::move(m->object);
}

// A server-side apply: PATCH with application/apply-patch+yaml (or +json), as in Kubernetes.
bool IsApplyPatch(const HttpRequest& req) {
  auto it = req.headers.find("content-type");
  if (it == req.headers.end()) return false;
  std::string_view type = it->second;
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return type == "application/apply-patch+yaml" || type == "application/apply-patch+json";
}

bool Force(const HttpRequest& req) {
  std::string force = Query(req, "force");
  return force == "true" || force == "1";
}

const std::string& NameOf(const google::protobuf::Message& m) { return schema::MetaOf(m).name(); }

// RFC 7386: null deletes, objects merge recursively, anything else replaces.
void MergePatch(google::protobuf::Value& target, const google::protobuf::Value& patch) {
  if (patch.kind_case() != google::protobuf::Value::kStructValue) {
    target = patch;
    return;
  }
  if (target.kind_case() != google::protobuf::Value::kStructValue)
    target.mutable_struct_value()->Clear();
  auto& fields = *target.mutable_struct_value()->mutable_fields();
  for (const auto& [key, value] : patch.struct_value().fields()) {
    if (value.kind_case() == google::protobuf::Value::kNullValue) {
      fields.erase(key);
    } else {
      MergePatch(fields[key], value);
    }
  }
}

HttpResponse ObjectResponse(int status, const google::protobuf::Message& m) {
  return Json(status, codec::ToJson(m));
}

std::string ListHead(const schema::KindInfo& kind, int64_t revision,
                     const std::string& continue_token) {
  return "{\"apiVersion\":\"gantry.dev/v1\",\"kind\":\"" + kind.kind +
         "List\",\"metadata\":{\"resourceVersion\":\"" + std::to_string(revision) + "\"" +
         (continue_token.empty() ? "" : ",\"continue\":" + codec::JsonString(continue_token)) +
         "},\"items\":[";
}

// Appends the items `filter` lets through; `first` says whether a comma is due.
void AppendItems(const api::ObjectList& list, const api::ObjectFilter& filter, std::string& out,
                 bool& first) {
  for (const auto& item : list.items) {
    if (filter && !filter(*item)) continue;
    if (!first) out += ",";
    first = false;
    out += codec::ToJson(*item);
  }
}

// An unpaginated list, streamed a page at a time so twenty clients listing 100k objects hold
// twenty pages, not twenty copies of everything. The first page fixes the resourceVersion; each
// page is consistent in itself, so a client that watches from that version sees every change
// the later pages may already show again, and converges (as with any paginated list).
HttpResponse StreamedList(api::ObjectService& service, const schema::KindInfo& kind,
                          api::LabelSelector selector, api::ObjectFilter filter,
                          api::ObjectList first_page) {
  struct State {
    api::ObjectList page;
    bool started = false;
    bool first_item = true;
  };
  auto state = std::make_shared<State>();
  state->page = std::move(first_page);
  HttpResponse r;
  r.stream = [&service, &kind, selector = std::move(selector), filter = std::move(filter),
              state](std::string& chunk) {
    if (!state->started) {
      state->started = true;
      chunk += ListHead(kind, state->page.revision, "");
    } else {
      auto next = service.List(kind, selector, RestHandler::kMaxPage, state->page.continue_token);
      if (!next.ok()) {
        // The status line is gone; end the JSON so the client's parser fails loudly.
        chunk += "],\"error\":" + codec::JsonString(next.status().ToString()) + "}";
        return HttpResponse::StreamPoll::kEnd;
      }
      state->page.items = std::move(next->items);
      state->page.continue_token = std::move(next->continue_token);
    }
    AppendItems(state->page, filter, chunk, state->first_item);
    state->page.items.clear();
    if (!state->page.continue_token.empty()) return HttpResponse::StreamPoll::kData;
    chunk += "]}";
    return HttpResponse::StreamPoll::kEnd;
  };
  return r;
}

HttpResponse HandleCollection(api::ObjectService& service, const HttpRequest& req,
                              const schema::KindInfo& kind, const api::ObjectFilter& filter) {
  if (req.method == "GET") {
    auto selector = api::LabelSelector::Parse(Query(req, "labelSelector"));
    if (!selector.ok()) return ErrorResponse(selector.status());
    std::string watch = Query(req, "watch");
    if (watch == "1" || watch == "true") {
      auto w = service.Watch(kind, Query(req, "resourceVersion"), *selector);
      if (!w.ok()) return ErrorResponse(w.status());
      if (filter) (*w)->SetFilter(filter);
      HttpResponse r;
      r.watch = std::move(*w);
      r.watch_kind = kind.kind;
      r.long_lived = true;
      return r;
    }
    size_t limit = 0;
    if (std::string l = Query(req, "limit"); !l.empty()) {
      char* end = nullptr;
      errno = 0;
      unsigned long long v = std::strtoull(l.c_str(), &end, 10);
      if (*end != '\0' || l[0] == '-' || l[0] == '+' || errno == ERANGE) {
        return ErrorResponse(api::InvalidArgument("limit", "must be a non-negative integer"));
      }
      limit = static_cast<size_t>(std::min<unsigned long long>(v, RestHandler::kMaxPage));
    }
    auto list = service.List(kind, *selector, limit == 0 ? RestHandler::kMaxPage : limit,
                             Query(req, "continue"));
    if (!list.ok()) return ErrorResponse(list.status());
    if (limit == 0 && !list->continue_token.empty())
      return StreamedList(service, kind, std::move(*selector), filter, std::move(*list));
    std::string body = ListHead(kind, list->revision, limit == 0 ? "" : list->continue_token);
    bool first = true;
    AppendItems(*list, filter, body, first);
    body += "]}";
    return Json(200, std::move(body));
  }
  if (req.method == "POST") {
    auto object = DecodeBody(req, kind);
    if (!object.ok()) return ErrorResponse(object.status());
    const std::string manager = Query(req, "fieldManager");  // checked by the service
    auto created = service.Create(**object, {.dry_run = DryRun(req), .field_manager = manager});
    if (!created.ok()) return ErrorResponse(created.status());
    return ObjectResponse(201, **created);
  }
  return ErrorResponse(
      Status(Code::kUnimplemented, "method " + req.method + " is not allowed on " + kind.plural));
}

HttpResponse HandleObject(api::ObjectService& service, const HttpRequest& req,
                          const schema::KindInfo& kind, const std::string& name,
                          const api::ObjectFilter& filter) {
  if (req.method == "GET") {
    auto object = service.Get(kind, name);
    if (!object.ok()) return ErrorResponse(object.status());
    if (filter && !filter(**object)) {
      return ErrorResponse(Status(Code::kPermissionDenied,
                                  kind.singular + " \"" + name + "\" is not yours to read"));
    }
    return ObjectResponse(200, **object);
  }
  if (req.method == "DELETE") {
    auto deleted =
        service.Delete(kind, name, Query(req, "resourceVersion"), {.dry_run = DryRun(req)});
    if (!deleted.ok()) return ErrorResponse(deleted.status());
    return ObjectResponse(200, **deleted);
  }
  if (req.method == "PUT") {
    auto object = DecodeBody(req, kind);
    if (!object.ok()) return ErrorResponse(object.status());
    if (NameOf(**object) != name) {
      return ErrorResponse(api::InvalidArgument(
          "metadata.name",
          "the body names \"" + NameOf(**object) + "\" but the URL names \"" + name + "\""));
    }
    const std::string manager = Query(req, "fieldManager");  // checked by the service
    auto applied = service.Apply(**object, {.dry_run = DryRun(req), .field_manager = manager});
    if (!applied.ok()) return ErrorResponse(applied.status());
    HttpResponse r = ObjectResponse(applied->outcome == api::ApplyOutcome::kCreated ? 201 : 200,
                                    *applied->object);
    r.headers["X-Gantry-Apply-Outcome"] = api::OutcomeName(applied->outcome);
    return r;
  }
  if (req.method == "PATCH" && IsApplyPatch(req)) {
    const std::string manager = Query(req, "fieldManager");  // checked by the service
    if (manager.empty()) {
      return ErrorResponse(
          api::InvalidArgument("fieldManager", "a server-side apply must name its fieldManager"));
    }
    auto manifest = DecodeManifestBody(req, kind);
    if (!manifest.ok()) return ErrorResponse(manifest.status());
    if (NameOf(*manifest->object) != name) {
      return ErrorResponse(
          api::InvalidArgument("metadata.name", "the body names \"" + NameOf(*manifest->object) +
                                                    "\" but the URL names \"" + name + "\""));
    }
    auto applied = service.Apply(*manifest->object, {.dry_run = DryRun(req),
                                                     .field_manager = manager,
                                                     .server_side = true,
                                                     .applied_fields = &manifest->fields,
                                                     .force_conflicts = Force(req)});
    if (!applied.ok()) return ErrorResponse(applied.status());
    HttpResponse r = ObjectResponse(applied->outcome == api::ApplyOutcome::kCreated ? 201 : 200,
                                    *applied->object);
    r.headers["X-Gantry-Apply-Outcome"] = api::OutcomeName(applied->outcome);
    return r;
  }
  if (req.method == "PATCH") {
    auto current = service.Get(kind, name);
    if (!current.ok()) return ErrorResponse(current.status());
    google::protobuf::Value target, patch;
    if (!google::protobuf::util::JsonStringToMessage(codec::ToJson(**current), &target).ok()) {
      return ErrorResponse(Status(Code::kInternal, "cannot render the current object"));
    }
    auto parsed = google::protobuf::util::JsonStringToMessage(req.body, &patch);
    if (!parsed.ok() || patch.kind_case() != google::protobuf::Value::kStructValue) {
      return ErrorResponse(Status(Code::kInvalidArgument, "a merge patch must be a JSON object"));
    }
    // The stored resourceVersion is a precondition only when the patch names one.
    const auto& pf = patch.struct_value().fields();
    bool pins =
        pf.count("metadata") && pf.at("metadata").struct_value().fields().count("resourceVersion");
    MergePatch(target, patch);
    if (!pins)
      target.mutable_struct_value()
          ->mutable_fields()
          ->at("metadata")
          .mutable_struct_value()
          ->mutable_fields()
          ->erase("resourceVersion");
    std::string merged;
    (void)google::protobuf::util::MessageToJsonString(target, &merged);
    HttpRequest as_put = req;
    as_put.body = merged;
    auto object = DecodeBody(as_put, kind);
    if (!object.ok()) return ErrorResponse(object.status());
    if (NameOf(**object) != name)
      return ErrorResponse(api::InvalidArgument("metadata.name", "a patch may not rename"));
    const std::string manager = Query(req, "fieldManager");  // checked by the service
    auto applied = service.Apply(**object, {.dry_run = DryRun(req), .field_manager = manager});
    if (!applied.ok()) return ErrorResponse(applied.status());
    HttpResponse r = ObjectResponse(200, *applied->object);
    r.headers["X-Gantry-Apply-Outcome"] = api::OutcomeName(applied->outcome);
    return r;
  }
  return ErrorResponse(
      Status(Code::kUnimplemented, "method " + req.method + " is not allowed on " + kind.singular));
}

}  // namespace

api::StatusOr<api::ObjectPtr> DecodeRequestBody(const HttpRequest& request,
                                                const schema::KindInfo& kind) {
  return DecodeBody(request, kind);
}

HttpResponse ErrorResponse(const Status& status) {
  int code = api::HttpStatus(status.code());
  return Json(code, "{\"code\":" + std::to_string(code) + ",\"reason\":\"" +
                        api::HttpReason(status.code()) +
                        "\",\"message\":" + codec::JsonString(status.ToString()) + "}");
}

api::StatusOr<std::optional<api::Principal>> RestHandler::Authenticate(
    const HttpRequest& req) const {
  if (!authorizer_) return std::optional<api::Principal>();
  auto header = req.headers.find("authorization");
  auto who = authorizer_->Authenticate(header == req.headers.end() ? "" : header->second,
                                       req.peer_certificate ? &*req.peer_certificate : nullptr);
  if (!who.ok()) return who.status();
  return std::optional<api::Principal>(std::move(*who));
}

api::Status RestHandler::Authorize(const api::Principal& who, const HttpRequest& req) const {
  if (!authorizer_) return {};
  api::AccessRequest what;
  what.access = req.method == "GET" ? api::Access::kRead : api::Access::kWrite;
  what.resource = "other";
  if (req.path.starts_with(kPrefix)) {
    std::string_view rest = std::string_view(req.path).substr(kPrefix.size());
    size_t slash = rest.find('/');
    what.resource = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) {
      std::string_view tail = rest.substr(slash + 1);
      what.object_name = std::string(tail.substr(0, tail.find('/')));
    }
  }
  return authorizer_->Authorize(who, what);
}

api::StatusOr<std::optional<api::Principal>> RestHandler::Admit(const HttpRequest& req) const {
  if (req.path == "/healthz" || req.path == "/readyz") return std::optional<api::Principal>();
  auto who = Authenticate(req);
  if (!who.ok() || !who->has_value()) return who;
  if (auto st = Authorize(**who, req); !st.ok()) return st;
  return who;
}

HttpResponse RestHandler::Handle(const HttpRequest& req, const api::Principal* who) {
  if (req.path == "/healthz" || req.path == "/readyz") {
    HttpResponse r;
    r.content_type = "text/plain";
    r.body = "ok\n";
    return r;
  }
  if (!req.path.starts_with(kPrefix)) {
    return ErrorResponse(Status(Code::kNotFound, "no such path: " + req.path));
  }
  std::string_view rest = std::string_view(req.path).substr(kPrefix.size());
  std::vector<std::string> parts;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    parts.emplace_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (parts.empty() || parts.size() > 3)
    return ErrorResponse(Status(Code::kNotFound, "no such path: " + req.path));
  const schema::KindInfo* kind = nullptr;
  for (const auto& k : schema::Kinds())
    if (k.plural == parts[0]) kind = &k;
  if (!kind) return ErrorResponse(Status(Code::kNotFound, "no such resource: " + parts[0]));
  api::ObjectFilter filter;
  if (who && read_scope_) filter = read_scope_->FilterFor(*who, *kind);
  if (parts.size() == 1) return HandleCollection(service_, req, *kind, filter);
  if (parts[1].empty()) return ErrorResponse(Status(Code::kNotFound, "no such path: " + req.path));
  if (parts.size() == 2) return HandleObject(service_, req, *kind, parts[1], filter);
  if (parts[2] != "status" || req.method != "PUT") {
    return ErrorResponse(Status(Code::kNotFound, "no such path: " + req.path));
  }
  auto object = DecodeBody(req, *kind);
  if (!object.ok()) return ErrorResponse(object.status());
  if (NameOf(**object) != parts[1]) {
    return ErrorResponse(api::InvalidArgument("metadata.name", "the body names another object"));
  }
  auto updated = service_.UpdateStatus(**object);
  if (!updated.ok()) return ErrorResponse(updated.status());
  return ObjectResponse(200, **updated);
}

}  // namespace gantry::rest
