#include "api/codec/yaml_document.h"

#include <gtest/gtest.h>

namespace gantry::codec {
namespace {

std::vector<YamlNode> MustParse(const std::string& text) {
  YamlError error;
  auto docs = ParseYaml(text, error);
  EXPECT_TRUE(docs.has_value()) << error.message;
  return docs ? std::move(*docs) : std::vector<YamlNode>{};
}

YamlError MustFail(const std::string& text) {
  YamlError error;
  auto docs = ParseYaml(text, error);
  EXPECT_FALSE(docs.has_value()) << text;
  return error;
}

TEST(YamlDocumentTest, MappingsSequencesScalarsAndMarks) {
  auto docs = MustParse("a: 1\nb: [x, 'y', \"z\"]\nc:\n  - k: v\nd:\n");
  ASSERT_EQ(docs.size(), 1u);
  const YamlNode& root = docs[0];
  ASSERT_TRUE(root.IsMap());
  ASSERT_EQ(root.entries.size(), 4u);
  EXPECT_EQ(root.entries[0].key.scalar, "a");
  EXPECT_EQ(root.entries[0].value.scalar, "1");
  EXPECT_FALSE(root.entries[0].value.quoted);
  EXPECT_EQ(root.entries[0].value.mark.line, 1);
  EXPECT_EQ(root.entries[0].value.mark.column, 4);
  const YamlNode& b = root.entries[1].value;
  ASSERT_TRUE(b.IsSequence());
  ASSERT_EQ(b.items.size(), 3u);
  EXPECT_FALSE(b.items[0].quoted);
  EXPECT_TRUE(b.items[1].quoted);
  EXPECT_TRUE(b.items[2].quoted);
  EXPECT_EQ(b.items[2].mark.column, 13);  // b: [x, 'y', "z"]
  const YamlNode& c = root.entries[2].value;
  ASSERT_TRUE(c.IsSequence());
  EXPECT_EQ(c.items[0].entries[0].value.scalar, "v");
  EXPECT_EQ(c.items[0].mark.line, 4);
  EXPECT_TRUE(root.entries[3].value.IsNull());
}

TEST(YamlDocumentTest, JsonIsYaml) {
  auto docs = MustParse(R"({"a": [1, 2.5, true, null, "s"], "b": {"c": "d"}})");
  ASSERT_EQ(docs.size(), 1u);
  const YamlNode& a = docs[0].entries[0].value;
  ASSERT_EQ(a.items.size(), 5u);
  EXPECT_EQ(a.items[1].scalar, "2.5");
  EXPECT_TRUE(a.items[3].IsNull() || a.items[3].scalar == "null");
  EXPECT_TRUE(a.items[4].quoted);
}

TEST(YamlDocumentTest, MultipleDocumentsSkipEmptyOnes) {
  auto docs = MustParse("a: 1\n---\n---\nb: 2\n---\n");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1].entries[0].key.scalar, "b");
  EXPECT_TRUE(MustParse("").empty());
  EXPECT_TRUE(MustParse("# only a comment\n").empty());
}

TEST(YamlDocumentTest, StrayTopLevelCommaDoesNotHang) {
  // yaml-cpp 0.7's LoadAll loops forever on these.
  for (const char* text : {",", "a: 1\n---\n,\n", ",instances:\n- id: x\n"}) {
    YamlError e = MustFail(text);
    EXPECT_NE(e.message.find("malformed YAML: unexpected ','"), std::string::npos) << e.message;
    EXPECT_GE(e.mark.line, 1);
  }
}

TEST(YamlDocumentTest, SyntaxErrorsCarryPosition) {
  YamlError e = MustFail("a: [1, 2\nb: 3\n");
  EXPECT_EQ(e.message.rfind("malformed YAML: ", 0), 0u);
  EXPECT_GE(e.mark.line, 1);
  YamlError flow = MustFail("a: 1\n}\n");
  EXPECT_EQ(flow.mark.line, 2);
}

TEST(YamlDocumentTest, MergeKeysAreRejected) {
  YamlError e = MustFail("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n");
  EXPECT_EQ(e.message, "merge keys (<<) are not supported");
  EXPECT_EQ(e.mark.line, 3);
  // A quoted "<<" is an ordinary key.
  auto docs = MustParse("\"<<\": 1\n");
  EXPECT_EQ(docs[0].entries[0].key.scalar, "<<");
}

TEST(YamlDocumentTest, AliasesCopyTheAnchoredNode) {
  auto docs = MustParse("a: &x {k: v}\nb: *x\n");
  const YamlNode& b = docs[0].entries[1].value;
  ASSERT_TRUE(b.IsMap());
  EXPECT_EQ(b.entries[0].value.scalar, "v");
}

TEST(YamlDocumentTest, AliasExpansionIsBounded) {
  // Ten levels of ten-fold aliases would expand to 10^10 nodes.
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", " : "") + prev;
    text += "]\n";
  }
  YamlError e = MustFail(text);
  EXPECT_NE(e.message.find("aliases expand to more than"), std::string::npos) << e.message;
}

TEST(YamlDocumentTest, DeepNestingIsAnErrorNotACrash) {
  YamlError e = MustFail("a: " + std::string(100000, '[') + std::string(100000, ']') + "\n");
  EXPECT_EQ(e.message.rfind("malformed YAML", 0), 0u);
}

TEST(YamlDocumentTest, ScalarsMustBeValidUtf8) {
  // Found by manifest_fuzzer: a raw 0x92 byte in an Event's detail decoded, then ToJson and
  // ToYaml could not reproduce it.
  for (const std::string& text : {std::string("a: RUNNING\x92\n"), std::string("b\xff: 1\n"),
                                  std::string("c: [x, \"\xc0\xaf\"]\n"),  // overlong '/'
                                  std::string("d: \"\xed\xa0\x80\"\n"),   // a lone surrogate
                                  std::string("e: \xf4\x90\x80\x80\n"),   // past U+10FFFF
                                  std::string("f: \xe2\x82\n")}) {        // cut short
    YamlError e = MustFail(text);
    EXPECT_EQ(e.message, "malformed YAML: a scalar is not valid UTF-8") << text;
    EXPECT_EQ(e.mark.line, 1) << text;
  }
  YamlError e = MustFail("ok: fine\nbad: [1, \"x\xe9y\"]\n");
  EXPECT_EQ(e.mark.line, 2);
  EXPECT_EQ(e.mark.column, 10);
  auto docs =
      MustParse("name: \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80\"\nescaped: \"\\u00e9\"\n");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].entries[0].value.scalar, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80");
  EXPECT_EQ(docs[0].entries[1].value.scalar, "\xc3\xa9");
}

}  // namespace
}  // namespace gantry::codec
