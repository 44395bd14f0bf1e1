// events [-w] [--for KIND/NAME] [-o json]: Event objects, oldest first.
//
//   GET /apis/gantry.dev/v1/events ─▶ keep --for's object ─▶ sort by creation ─▶ table
//   -w: then the REST watch from the list's resourceVersion, one line per new event; a watch the
//       server closes as Gone (compacted, or this client fell behind) is resumed by listing again
//       and printing what was missed
//   -o json: each event's spec.detail (the ECS CloudWatch-style event), one JSON object per line,
//       as ECS event consumers read them; events without a detail are left out

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ostream>
#include <set>

#include "api/schema/kinds.h"
#include "cli/fleet/commands.h"
#include "cli/fleet/internal/ecs_call.h"
#include "cli/objects/printers.h"  // Age
#include "gantry/v1/objects.pb.h"

namespace gantry::cli {
namespace {

using fleet_internal::Json;

constexpr const char* kUsage = "usage: gantryctl events [-w] [--for KIND/NAME] [-o json]";

struct ObjectFilter {
  std::string kind;  // "" for every event
  std::string name;
  bool Matches(const v1::Event& e) const {
    return kind.empty() ||
           (e.spec().involved_object().kind() == kind && e.spec().involved_object().name() == name);
  }
};

// Creation order: creationTimestamp, then the store revision it was created at (events made in
// the same second), then the name.
bool CreatedBefore(const v1::Event& a, const v1::Event& b) {
  if (a.metadata().creation_timestamp() != b.metadata().creation_timestamp())
    return a.metadata().creation_timestamp() < b.metadata().creation_timestamp();
  long long ra = std::atoll(a.metadata().resource_version().c_str());
  long long rb = std::atoll(b.metadata().resource_version().c_str());
  if (ra != rb) return ra < rb;
  return a.metadata().name() < b.metadata().name();
}

std::string ObjectText(const v1::Event& e) {
  const auto& o = e.spec().involved_object();
  const schema::KindInfo* kind = schema::FindKind(o.kind());
  std::string k = kind ? kind->singular : o.kind();
  if (!kind) {
    for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return k + "/" + o.name();
}

std::vector<std::string> Row(const v1::Event& e) {
  return {Age(e.metadata().creation_timestamp()), e.spec().type(), e.spec().reason(), ObjectText(e),
          e.spec().message()};
}

// The detail as one line, envelope members in the order ECS writes them; "" without a detail.
std::string DetailLine(const v1::Event& e) {
  if (!e.spec().has_detail() || e.spec().detail().fields().empty()) return "";
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(e.spec().detail(), &json).ok()) return "";
  Json detail = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!detail.is_object()) return json;
  Json ordered = Json::object();
  for (const char* key : {"version", "id", "detail-type", "source", "account", "time", "region",
                          "resources", "detail"}) {
    if (auto it = detail.find(key); it != detail.end()) ordered[key] = *it;
  }
  for (const auto& [key, value] : detail.items()) {
    if (!ordered.contains(key)) ordered[key] = value;
  }
  return ordered.dump();
}

class EventPrinter {
 public:
  EventPrinter(bool json, std::ostream& out) : json_(json), out_(out) {}

  // Sorted events: a table or detail lines.
  void PrintAll(const std::vector<const v1::Event*>& events) {
    std::vector<std::vector<std::string>> rows;
    for (const auto* e : events) {
      if (json_) {
        PrintDetail(*e);
      } else {
        rows.push_back(Row(*e));
      }
    }
    PrintTable(std::move(rows));
  }

  void Print(const v1::Event& e) {
    if (json_) {
      PrintDetail(e);
    } else {
      PrintTable({Row(e)});
    }
  }

 private:
  void PrintDetail(const v1::Event& e) {
    if (std::string line = DetailLine(e); !line.empty()) out_ << line << "\n";
    out_.flush();
  }

  // The header before the first row; columns at least as wide as any printed before, so rows
  // that arrive while watching line up under the table.
  void PrintTable(std::vector<std::vector<std::string>> rows) {
    if (rows.empty()) return;
    if (widths_.empty()) {
      rows.insert(rows.begin(), {"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"});
    }
    for (const auto& row : rows) {
      widths_.resize(std::max(widths_.size(), row.size()));
      for (size_t c = 0; c < row.size(); ++c) widths_[c] = std::max(widths_[c], row[c].size());
    }
    for (const auto& row : rows) {
      std::string line;
      for (size_t c = 0; c < row.size(); ++c) {
        line += row[c];
        if (c + 1 < row.size()) line += std::string(widths_[c] - row[c].size() + 3, ' ');
      }
      out_ << line << "\n";
    }
    out_.flush();
  }

  const bool json_;
  std::ostream& out_;
  std::vector<size_t> widths_;
};

const v1::Event* AsEvent(const google::protobuf::Message& m) {
  return dynamic_cast<const v1::Event*>(&m);
}

}  // namespace

int RunEvents(const std::vector<std::string>& args, const CommandContext& ctx) {
  bool watch = false;
  std::string for_object, output;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--for", "", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      for_object = value;
    } else if (FlagValue(args, i, "--output", "-o", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      output = value;
    } else if (args[i] == "-w" || args[i] == "--watch") {
      watch = true;
    } else if (args[i].starts_with("-")) {
      return ReportError(ctx, "unknown flag " + args[i] + " (" + kUsage + ")");
    } else {
      return ReportError(ctx, "unexpected argument \"" + args[i] + "\" (" + kUsage + ")");
    }
  }
  if (!output.empty() && output != "json") {
    return ReportError(ctx, "unknown output format \"" + output + "\" (use -o json)");
  }
  ObjectFilter filter;
  if (!for_object.empty()) {
    size_t slash = for_object.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == for_object.size()) {
      return ReportError(
          ctx, "--for takes KIND/NAME (task/ID, containerinstance/ID), got \"" + for_object + "\"");
    }
    const schema::KindInfo* kind = schema::ResolveKind(for_object.substr(0, slash));
    if (!kind) {
      return ReportError(
          ctx, "the server doesn't have a resource type \"" + for_object.substr(0, slash) + "\"");
    }
    filter.kind = kind->kind;
    filter.name = fleet_internal::IdOf(for_object.substr(slash + 1));
  }

  const schema::KindInfo* events_kind = schema::FindKind("Event");
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status().message());
  auto report = [&](const api::Status& st) {
    if (st.code() == api::Code::kUnavailable) {
      return ReportError(ctx, fleet_internal::TransportErrorText(st.message()));
    }
    return ReportError(ctx, st);
  };

  EventPrinter printer(output == "json", ctx.out);
  std::set<std::string> seen;  // names of live events already printed (or filtered out)
  size_t listed = 0;           // events the lists matched
  // Lists, prints what `seen` does not hold yet, and returns the list's resourceVersion.
  auto list_and_print = [&]() -> api::StatusOr<std::string> {
    auto list = client->List(*events_kind);
    if (!list.ok()) return list.status();
    std::vector<const v1::Event*> fresh;
    std::set<std::string> live;
    for (const auto& item : list->items) {
      const v1::Event* e = AsEvent(*item);
      if (!e) continue;
      live.insert(e->metadata().name());
      if (seen.count(e->metadata().name()) || !filter.Matches(*e)) continue;
      fresh.push_back(e);
    }
    std::stable_sort(fresh.begin(), fresh.end(),
                     [](const v1::Event* a, const v1::Event* b) { return CreatedBefore(*a, *b); });
    printer.PrintAll(fresh);
    listed += fresh.size();
    seen = std::move(live);
    return list->resource_version;
  };

  auto resource_version = list_and_print();
  if (!resource_version.ok()) return report(resource_version.status());
  if (!watch) {
    if (listed == 0 && output.empty()) ctx.err << "No events found.\n";
    return 0;
  }
  std::string from = *resource_version;
  while (true) {
    bool any = false;
    auto st = client->Watch(*events_kind, from, "",
                            [&](const std::string& type, client::ObjectPtr object) {
                              any = true;
                              const v1::Event* e = AsEvent(*object);
                              if (!e) return true;
                              from = e->metadata().resource_version();
                              const std::string& name = e->metadata().name();
                              if (type == "DELETED") {
                                seen.erase(name);  // expired: keeps `seen` as small as the list
                                return true;
                              }
                              if (!seen.insert(name).second && type == "ADDED") return true;
                              if (filter.Matches(*e)) printer.Print(*e);
                              return true;
                            });
    if (st.code() == api::Code::kOutOfRange) {
      // Gone: list again, print what the watch missed, and watch on from there.
      auto again = list_and_print();
      if (!again.ok()) return report(again.status());
      from = *again;
      continue;
    }
    if (!st.ok()) return report(st);
    if (!any) return ReportError(ctx, "the server ended the watch");
  }
}

}  // namespace gantry::cli
