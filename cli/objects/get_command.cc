#include <google/protobuf/util/json_util.h>

#include <ostream>

#include "api/codec/object_codec.h"
#include "cli/objects/commands.h"
#include "cli/objects/printers.h"

namespace gantry::cli {
namespace {

std::string NameOf(const google::protobuf::Message& m) { return FieldText(m, "metadata.name"); }

void PrintObjects(const schema::KindInfo& kind, std::vector<client::ObjectPtr>& items, bool single,
                  OutputFormat format, bool show_managed_fields, std::ostream& out) {
  if (!show_managed_fields) {
    for (auto& i : items) i = WithoutManagedFields(*i);
  }
  std::vector<const google::protobuf::Message*> ptrs;
  for (const auto& i : items) ptrs.push_back(i.get());
  switch (format) {
    case OutputFormat::kJson:
      if (single) {
        out << codec::ToJson(*items[0], true) << "\n";
      } else {
        out << "{\"items\":[";
        for (size_t k = 0; k < items.size(); ++k) out << (k ? "," : "") << codec::ToJson(*items[k]);
        out << "]}\n";
      }
      return;
    case OutputFormat::kYaml:
      if (single) {
        out << codec::ToYaml(*items[0]);
      } else {
        out << "items:\n";
        for (const auto& i : items) {
          std::string y = codec::ToYaml(*i);
          // Indent the object under a list item.
          std::string indented = "- ";
          for (size_t p = 0; p < y.size(); ++p) {
            indented += y[p];
            if (y[p] == '\n' && p + 1 < y.size()) indented += "  ";
          }
          out << indented;
        }
      }
      return;
    case OutputFormat::kName:
      for (const auto* p : ptrs) out << kind.singular << "/" << NameOf(*p) << "\n";
      return;
    case OutputFormat::kTable:
    case OutputFormat::kWide:
      PrintRows(TableRows(kind, ptrs, format == OutputFormat::kWide), out);
      return;
  }
}

}  // namespace

// get KIND [NAME] [-o yaml|json|wide|name] [-l SELECTOR] [-w] [--show-managed-fields]
int RunGet(const std::vector<std::string>& args, const CommandContext& ctx) {
  std::vector<std::string> positional;
  std::string output, selector;
  bool watch = false;
  bool show_managed_fields = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string value, error;
    if (FlagValue(args, i, "--output", "-o", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      output = value;
    } else if (FlagValue(args, i, "--selector", "-l", value, error)) {
      if (!error.empty()) return ReportError(ctx, error);
      selector = value;
    } else if (args[i] == "-w" || args[i] == "--watch") {
      watch = true;
    } else if (args[i] == "--show-managed-fields") {
      show_managed_fields = true;
    } else if (!args[i].empty() && args[i][0] == '-') {
      return ReportError(ctx, "unknown flag " + args[i] +
                                  " (usage: gantryctl get KIND [NAME] [-o yaml|json|wide|name] [-l "
                                  "SELECTOR] [-w] [--show-managed-fields])");
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.empty() || positional.size() > 2) {
    return ReportError(ctx,
                       "usage: gantryctl get KIND [NAME] [-o yaml|json|wide|name] [-l SELECTOR] "
                       "[-w] [--show-managed-fields]");
  }
  std::string kind_name = positional[0], name = positional.size() == 2 ? positional[1] : "";
  if (size_t slash = kind_name.find('/'); slash != std::string::npos && name.empty()) {
    name = kind_name.substr(slash + 1);  // get service/web
    kind_name = kind_name.substr(0, slash);
  }
  const schema::KindInfo* kind = schema::ResolveKind(kind_name);
  if (!kind)
    return ReportError(ctx, "the server doesn't have a resource type \"" + kind_name + "\"");
  OutputFormat format;
  if (output.empty()) {
    format = OutputFormat::kTable;
  } else if (output == "wide") {
    format = OutputFormat::kWide;
  } else if (output == "yaml") {
    format = OutputFormat::kYaml;
  } else if (output == "json") {
    format = OutputFormat::kJson;
  } else if (output == "name") {
    format = OutputFormat::kName;
  } else {
    return ReportError(ctx,
                       "unknown output format \"" + output + "\" (use yaml, json, wide or name)");
  }
  auto client = ctx.Client();
  if (!client.ok()) return ReportError(ctx, client.status());

  std::string resource_version = "0";
  if (!name.empty()) {
    auto object = client->Get(*kind, name);
    if (!object.ok()) return ReportError(ctx, object.status());
    resource_version = FieldText(**object, "metadata.resourceVersion");
    std::vector<client::ObjectPtr> items;
    items.push_back(std::move(*object));
    PrintObjects(*kind, items, true, format, show_managed_fields, ctx.out);
  } else {
    auto list = client->List(*kind, selector);
    if (!list.ok()) return ReportError(ctx, list.status());
    resource_version = list->resource_version;
    if (list->items.empty() && (format == OutputFormat::kTable || format == OutputFormat::kWide) &&
        !watch) {
      ctx.err << "No resources found.\n";
      return 0;
    }
    PrintObjects(*kind, list->items, false, format, show_managed_fields, ctx.out);
  }
  if (!watch) return 0;
  ctx.out.flush();
  auto st = client->Watch(
      *kind, resource_version, selector, [&](const std::string&, client::ObjectPtr object) {
        if (!name.empty() && NameOf(*object) != name) return true;
        std::vector<client::ObjectPtr> items;
        items.push_back(std::move(object));
        if (format == OutputFormat::kTable || format == OutputFormat::kWide) {
          std::vector<const google::protobuf::Message*> ptrs{items[0].get()};
          PrintRows(TableRows(*kind, ptrs, format == OutputFormat::kWide, false), ctx.out);
        } else {
          PrintObjects(*kind, items, true, format, show_managed_fields, ctx.out);
        }
        ctx.out.flush();
        return true;
      });
  if (!st.ok()) return ReportError(ctx, st);
  return 0;
}

}  // namespace gantry::cli
