#include "cli/simulate/command.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "api/codec/json_string.h"
#include "cli/simulate/explain_table.h"
#include "cli/simulate/input.h"
#include "placement/placement.h"

namespace gantry::cli {
namespace {

constexpr size_t kMaxInputBytes = size_t{256} << 20;
constexpr int kExitBadInput = 2;

constexpr const char* kUsage =
    "usage: gantryctl simulate -f FILE [--explain]\n"
    "\n"
    "Runs placement offline on the cluster and request in FILE (YAML or JSON; '-' reads stdin).\n"
    "  -f, --filename FILE   the input file\n"
    "      --explain         print, per instance, the stage that rejected it or its strategy\n"
    "                        scores, instead of JSON\n";

bool ReadAll(const std::string& file, std::string& text, std::string& problem) {
  std::istream* in = &std::cin;
  std::ifstream f;
  if (file != "-") {
    f.open(file, std::ios::binary);
    if (!f) {
      problem = "cannot open file";
      return false;
    }
    in = &f;
  }
  char buf[1 << 16];
  while (in->read(buf, sizeof buf) || in->gcount() > 0) {
    text.append(buf, static_cast<size_t>(in->gcount()));
    if (text.size() > kMaxInputBytes) {
      problem = "input is larger than 256 MiB";
      return false;
    }
  }
  if (in->bad()) {
    problem = "read error";
    return false;
  }
  return true;
}

// Reports an error found after reading, at the position of the field it names.
int FailAt(std::ostream& err, const std::string& file, const SimulateInput& input,
           const std::string& field, const std::string& message) {
  InputError e{field, message, 0, 0};
  auto pos = input.PositionOf(field);
  e.line = pos.line;
  e.column = pos.column;
  err << "gantryctl simulate: " << e.Format(file) << "\n";
  return kExitBadInput;
}

}  // namespace

int RunSimulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string file;
  bool explain = false;
  for (size_t k = 0; k < args.size(); ++k) {
    const std::string& a = args[k];
    if (a == "-h" || a == "--help") {
      out << kUsage;
      return 0;
    } else if (a == "--explain") {
      explain = true;
    } else if (a == "-f" || a == "--filename") {
      if (k + 1 >= args.size()) {
        err << "gantryctl simulate: " << a << " needs a file name\n";
        return kExitBadInput;
      }
      file = args[++k];
    } else if (a.starts_with("-f=") || a.starts_with("--filename=")) {
      file = a.substr(a.find('=') + 1);
    } else {
      err << "gantryctl simulate: unknown argument '" << a << "' (see gantryctl simulate --help)\n";
      return kExitBadInput;
    }
  }
  if (file.empty()) {
    err << "gantryctl simulate: -f FILE is required (see gantryctl simulate --help)\n";
    return kExitBadInput;
  }

  std::string text, problem;
  if (!ReadAll(file, text, problem)) {
    err << "gantryctl simulate: " << file << ": " << problem << "\n";
    return kExitBadInput;
  }
  InputError read_error;
  auto input = ParseSimulateInput(text, read_error);
  if (!input) {
    err << "gantryctl simulate: " << read_error.Format(file) << "\n";
    return kExitBadInput;
  }

  auto snapshot = placement::ClusterSnapshot::Build(input->instances);
  if (!snapshot.ok()) {
    return FailAt(err, file, *input, snapshot.error().field, snapshot.error().message);
  }

  std::vector<uint32_t> matched;
  if (input->filter) {
    auto result = placement::Filter(*snapshot, *input->filter);
    if (!result.ok()) return FailAt(err, file, *input, "filter", result.error().message);
    // As ListContainerInstances without a status: every instance except INACTIVE ones.
    for (uint32_t i : *result)
      if (snapshot->status(i) != placement::InstanceStatus::kInactive) matched.push_back(i);
  }

  std::optional<placement::Decision> decision;
  std::optional<placement::Explanation> explanation;
  if (input->request) {
    auto compiled = placement::CompileRequest(*input->request);
    if (!compiled.ok()) {
      auto e = compiled.error().WithFieldPrefix("request");
      return FailAt(err, file, *input, e.field, e.message);
    }
    decision = placement::Place(*snapshot, *compiled);
    if (explain) explanation = placement::Explain(*snapshot, *input->request).value();
  }

  std::ostringstream o;
  if (explain) {
    if (input->filter) WriteFilterTable(*snapshot, *input->filter, matched, o);
    if (decision) WriteExplainTable(*snapshot, *explanation, *decision, o);
    out << o.str();
    return 0;
  }

  o << "{";
  bool first_key = true;
  auto key = [&](const char* name) {
    o << (first_key ? "" : ", ") << codec::JsonString(name) << ": ";
    first_key = false;
  };
  if (input->filter) {
    key("instances");
    o << "[";
    for (size_t k = 0; k < matched.size(); ++k) {
      o << (k ? ", " : "") << codec::JsonString(snapshot->id(matched[k]));
    }
    o << "]";
  }
  if (decision) {
    key("placements");
    o << "[";
    for (size_t k = 0; k < decision->placements.size(); ++k) {
      o << (k ? ", " : "") << codec::JsonString(snapshot->id(decision->placements[k]));
    }
    o << "]";
    key("failures");
    o << "[";
    for (size_t k = 0; k < decision->failures.size(); ++k) {
      o << (k ? ", " : "")
        << "{\"reason\": " << codec::JsonString(placement::ReasonText(decision->failures[k]))
        << "}";
    }
    o << "]";
  }
  o << "}\n";
  out << o.str();
  return 0;
}

}  // namespace gantry::cli
