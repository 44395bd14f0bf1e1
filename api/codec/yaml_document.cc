#include "api/codec/yaml_document.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>

namespace gantry::codec {

const char* YamlNode::KindName() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kScalar:
      return "a scalar";
    case Kind::kSequence:
      return "a list";
    case Kind::kMap:
      return "a mapping";
  }
  return "?";
}

namespace {

Mark ToMark(const YAML::Mark& m) { return Mark{m.line + 1, m.column + 1}; }

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF. yaml-cpp
// passes other bytes through, and protobuf's JSON printer and the YAML emitter then mangle or
// refuse them, so such a text would not read back as what was stored.
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

size_t CountNodes(const YamlNode& n) {
  size_t count = 1;
  for (const auto& item : n.items) count += CountNodes(item);
  for (const auto& e : n.entries) count += CountNodes(e.key) + CountNodes(e.value);
  return count;
}

// Builds YamlNodes from parser events with an explicit stack (no recursion on nesting depth).
class Builder : public YAML::EventHandler {
 public:
  explicit Builder(const YamlLimits& limits) : limits_(limits) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    YamlNode n;
    n.mark = ToMark(mark);
    Complete(std::move(n), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) return Fail("unknown alias", mark);
    alias_nodes_ += it->second.second;
    if (alias_nodes_ > limits_.max_alias_nodes) {
      return Fail(
          "aliases expand to more than " + std::to_string(limits_.max_alias_nodes) + " nodes",
          mark);
    }
    Complete(YamlNode(it->second.first), 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (!ValidUtf8(value)) return Fail("malformed YAML: a scalar is not valid UTF-8", mark);
    YamlNode n;
    n.kind = YamlNode::Kind::kScalar;
    n.mark = ToMark(mark);
    n.scalar = value;
    // yaml-cpp tags plain scalars "?" and quoted ones "!"; anything else is an explicit tag.
    n.quoted = tag != "?";
    Complete(std::move(n), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(YamlNode::Kind::kSequence, mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(YamlNode::Kind::kMap, mark, anchor);
  }
  void OnMapEnd() override { Close(); }

  bool failed() const { return failed_; }
  const YamlError& error() const { return error_; }
  std::vector<YamlNode>& documents() { return documents_; }

 private:
  struct Frame {
    YamlNode node;
    YAML::anchor_t anchor = 0;
    std::optional<YamlNode> key;  // a mapping's key waiting for its value
  };

  void Fail(const std::string& message, const YAML::Mark& mark) {
    if (failed_) return;
    failed_ = true;
    error_ = YamlError{message, ToMark(mark)};
  }

  void Open(YamlNode::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    Frame f;
    f.node.kind = kind;
    f.node.mark = ToMark(mark);
    f.anchor = anchor;
    stack_.push_back(std::move(f));
  }

  void Close() {
    if (stack_.empty()) return;
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    Complete(std::move(f.node), f.anchor);
  }

  // Attaches a finished node to its parent (or makes it a document).
  void Complete(YamlNode n, YAML::anchor_t anchor) {
    if (failed_) return;
    if (anchor != 0) anchors_[anchor] = {n, CountNodes(n)};
    if (stack_.empty()) {
      if (!n.IsNull()) documents_.push_back(std::move(n));
      return;
    }
    Frame& top = stack_.back();
    if (top.node.IsSequence()) {
      top.node.items.push_back(std::move(n));
    } else if (!top.key) {
      if (n.IsScalar() && !n.quoted && n.scalar == "<<") {
        failed_ = true;
        error_ = YamlError{"merge keys (<<) are not supported", n.mark};
        return;
      }
      top.key = std::move(n);
    } else {
      top.node.entries.push_back(YamlEntry{std::move(*top.key), std::move(n)});
      top.key.reset();
    }
  }

  const YamlLimits& limits_;
  std::vector<Frame> stack_;
  std::vector<YamlNode> documents_;
  std::map<YAML::anchor_t, std::pair<YamlNode, size_t>> anchors_;
  size_t alias_nodes_ = 0;
  bool failed_ = false;
  YamlError error_;
};

// Records where each document starts, to notice a parser that stops making progress.
class ProgressGuard : public YAML::EventHandler {
 public:
  explicit ProgressGuard(Builder& inner) : inner_(inner) {}
  void OnDocumentStart(const YAML::Mark& mark) override {
    stuck_ = started_ && mark.pos == last_.pos;
    started_ = true;
    last_ = mark;
    inner_.OnDocumentStart(mark);
  }
  void OnDocumentEnd() override { inner_.OnDocumentEnd(); }
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override { inner_.OnNull(m, a); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t a) override { inner_.OnAlias(m, a); }
  void OnScalar(const YAML::Mark& m, const std::string& t, YAML::anchor_t a,
                const std::string& v) override {
    inner_.OnScalar(m, t, a, v);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string& t, YAML::anchor_t a,
                       YAML::EmitterStyle::value s) override {
    inner_.OnSequenceStart(m, t, a, s);
  }
  void OnSequenceEnd() override { inner_.OnSequenceEnd(); }
  void OnMapStart(const YAML::Mark& m, const std::string& t, YAML::anchor_t a,
                  YAML::EmitterStyle::value s) override {
    inner_.OnMapStart(m, t, a, s);
  }
  void OnMapEnd() override { inner_.OnMapEnd(); }

  bool stuck() const { return stuck_; }
  const YAML::Mark& last() const { return last_; }

 private:
  Builder& inner_;
  bool started_ = false;
  bool stuck_ = false;
  YAML::Mark last_ = YAML::Mark::null_mark();
};

}  // namespace

std::optional<std::vector<YamlNode>> ParseYaml(std::string_view text, YamlError& error,
                                               const YamlLimits& limits) {
  std::istringstream in{std::string(text)};
  Builder builder(limits);
  ProgressGuard guard(builder);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(guard)) {
      if (builder.failed()) break;
      if (guard.stuck()) {
        // yaml-cpp 0.7 emits empty documents forever at a token it cannot start a node with.
        const YAML::Mark& m = guard.last();
        std::string what =
            m.pos >= 0 && static_cast<size_t>(m.pos) < text.size()
                ? std::string("unexpected '") + text[static_cast<size_t>(m.pos)] + "'"
                : std::string("unexpected token");
        error = YamlError{"malformed YAML: " + what, ToMark(m)};
        return std::nullopt;
      }
    }
  } catch (const YAML::Exception& e) {
    error = YamlError{"malformed YAML: " + e.msg, ToMark(e.mark)};
    return std::nullopt;
  }
  if (builder.failed()) {
    error = builder.error();
    return std::nullopt;
  }
  return std::move(builder.documents());
}

}  // namespace gantry::codec
