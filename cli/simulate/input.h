#pragma once

// The input file of `gantryctl simulate`: a cluster, and a filter expression and/or a placement
// request, in YAML or JSON. Reading is strict: unknown or repeated fields, wrong types and bad
// values are errors that name the field path and the line and column where it was written.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "placement/types.h"

namespace gantry::cli {

struct InputError {
  std::string field;    // "request.count"; empty for syntax errors
  std::string message;  // "must be an integer"
  int line = 0;         // 1-based; 0 when unknown
  int column = 0;

  // "FILE:LINE:COLUMN: FIELD: MESSAGE" on one line.
  std::string Format(const std::string& file) const;
};

struct SimulateInput {
  std::vector<placement::InstanceSpec> instances;
  std::optional<std::string> filter;
  std::optional<placement::TaskRequest> request;
  struct Position {
    int line = 0;  // 1-based; 0 when unknown
    int column = 0;
  };
  // Where a field was written ("request.placementConstraints[0].expression"), for errors found
  // after reading, by the snapshot or the request compiler.
  Position PositionOf(const std::string& field) const {
    return locate_ ? locate_(field) : Position{};
  }

 private:
  friend std::optional<SimulateInput> ParseSimulateInput(const std::string&, InputError&);
  std::function<Position(const std::string&)> locate_;
};

// Parses `text` (YAML or JSON). On error returns nullopt and fills `error`.
std::optional<SimulateInput> ParseSimulateInput(const std::string& text, InputError& error);

// The default task group for a task definition: family:<family> ("web:3" -> "family:web",
// full ARNs too), or family:default without one.
std::string DefaultGroup(const std::optional<std::string>& task_definition);

}  // namespace gantry::cli
