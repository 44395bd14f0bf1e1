#pragma once

// A small, strict YAML/JSON document model read from yaml-cpp's event stream.
//
// yaml-cpp's own node API is slow for large files, loses nothing we need here, but has traps:
// LoadAll() loops forever on a stray top-level ',' (0.7.0), assigning a Node writes through to
// the document, and merge keys (`<<`) silently become a literal key. Reading events into our own
// tree avoids all three, keeps each node's line and column, and keeps whether a scalar was
// quoted (so "123" stays a string while 123 reads as a number).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gantry::codec {

struct Mark {
  int line = 0;  // 1-based; 0 when unknown
  int column = 0;
};

struct YamlEntry;

struct YamlNode {
  enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  bool quoted = false;             // scalar written in quotes (or with an explicit non-plain tag)
  std::string scalar;              // the text of a scalar
  Mark mark;                       // where the node starts
  std::vector<YamlNode> items;     // sequence items
  std::vector<YamlEntry> entries;  // mapping entries, in order

  bool IsNull() const { return kind == Kind::kNull; }
  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  bool IsMap() const { return kind == Kind::kMap; }
  // "a mapping", "a list", "a string", "null": for error messages.
  const char* KindName() const;
};

struct YamlEntry {
  YamlNode key;
  YamlNode value;
};

struct YamlError {
  std::string message;  // "malformed YAML: ..." for syntax errors
  Mark mark;
};

struct YamlLimits {
  // Nodes that aliases may add by copying anchored subtrees (guards against "billion laughs").
  size_t max_alias_nodes = 1'000'000;
};

// Parses a stream of one or more documents. Empty documents (a trailing `---`) are skipped, as
// kubectl does. On error returns nullopt and fills `error`.
std::optional<std::vector<YamlNode>> ParseYaml(std::string_view text, YamlError& error,
                                               const YamlLimits& limits = {});

}  // namespace gantry::codec
