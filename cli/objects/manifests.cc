#include "cli/objects/manifests.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/objects/context.h"

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;
constexpr size_t kMaxFileBytes = 64 << 20;

api::StatusOr<std::string> ReadText(const std::string& path) {
  std::ostringstream buf;
  if (path == "-") {
    buf << std::cin.rdbuf();
  } else {
    std::ifstream f(path, std::ios::binary);
    if (!f) return api::Status(api::Code::kNotFound, path + ": cannot open file");
    buf << f.rdbuf();
  }
  std::string text = buf.str();
  if (text.size() > kMaxFileBytes)
    return api::Status(api::Code::kInvalidArgument, path + ": file is larger than 64 MiB");
  return text;
}

}  // namespace

api::StatusOr<std::vector<codec::Manifest>> ReadManifests(const std::vector<std::string>& paths,
                                                          bool recursive) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (p != "-" && fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      auto add = [&](const fs::directory_entry& e) {
        if (e.is_regular_file() && codec::IsManifestFileName(e.path().filename().string()))
          found.push_back(e.path().string());
      };
      if (recursive) {
        for (const auto& e : fs::recursive_directory_iterator(p, ec)) add(e);
      } else {
        for (const auto& e : fs::directory_iterator(p, ec)) add(e);
      }
      if (ec) return api::Status(api::Code::kInvalidArgument, p + ": " + ec.message());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  std::vector<codec::Manifest> out;
  for (const std::string& f : files) {
    auto text = ReadText(f);
    if (!text.ok()) return text.status();
    auto manifests = codec::DecodeManifests(*text, f == "-" ? "<stdin>" : f);
    if (!manifests.ok()) return manifests.status();
    for (auto& m : *manifests) out.push_back(std::move(m));
  }
  return out;
}

bool ManifestFlag(const std::vector<std::string>& args, size_t& i, bool applies, ManifestArgs& out,
                  std::string& error) {
  std::string value;
  if (FlagValue(args, i, "--filename", "-f", value, error)) {
    out.files.push_back(value);
    return true;
  }
  if (args[i] == "-R" || args[i] == "--recursive") {
    out.recursive = true;
    return true;
  }
  if (!applies) return false;
  if (FlagValue(args, i, "--inventory", "", value, error)) {
    if (error.empty() && value.empty()) error = "--inventory needs a name";
    out.inventory = value;
    return true;
  }
  if (args[i] == "--prune") {
    out.prune = true;
    return true;
  }
  if (FlagValue(args, i, "--field-manager", "", value, error)) {
    if (error.empty() && value.empty()) error = "--field-manager needs a name";
    out.field_manager = value;
    return true;
  }
  if (args[i] == "--force-conflicts") {
    out.force_conflicts = true;
    return true;
  }
  if (args[i] == "--server-side" || args[i] == "--server-side=true") {
    out.server_side = true;
    return true;
  }
  if (args[i] == "--server-side=false") {
    out.server_side = false;
    return true;
  }
  return false;
}

client::ApplyOptions ApplyOptionsOf(const ManifestArgs& args, const schema::FieldSet* fields,
                                    bool dry_run) {
  return {.dry_run = dry_run,
          .field_manager = args.field_manager,
          .server_side = args.server_side,
          .fields = fields,
          .force_conflicts = args.force_conflicts};
}

}  // namespace gantry::cli
