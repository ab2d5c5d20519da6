#include "common/mime/mime_parser.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mime {
namespace {

TEST(MimeParser, SinglePartDefaultsToTextPlain) {
  const std::string message = "Subject: hi\nFrom: a@b\n\nbody\n";
  const ParsedMessage parsed = parse_mime(message);
  EXPECT_EQ(parsed.root.media_type, "text/plain");
  EXPECT_EQ(parsed.root.body, "body\n");
  EXPECT_TRUE(parsed.problems.empty());
  EXPECT_EQ(field_value(parsed.root.fields, "subject"), "hi");
}

TEST(MimeParser, BoundaryMustStartALineAndMatchWhole) {
  const std::string m = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\ntext with --b inside\n--bx\nnot a delimiter\n--b--\n";
  const ParsedMessage parsed = parse_mime(m);
  ASSERT_EQ(parsed.root.children.size(), 1u);
  EXPECT_EQ(parsed.root.children[0].body, "text with --b inside\n--bx\nnot a delimiter");
}

TEST(MimeParser, BrokenStructuresAreReportedNotFatal) {
  ParsedMessage parsed = parse_mime("Content-Type: multipart/mixed\n\nno boundary\n");
  EXPECT_FALSE(parsed.problems.empty());
  EXPECT_EQ(parsed.root.body, "no boundary\n");

  parsed = parse_mime("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nunterminated");
  EXPECT_FALSE(parsed.problems.empty());
  ASSERT_EQ(parsed.root.children.size(), 1u);
  EXPECT_EQ(parsed.root.children[0].body, "unterminated");

  parsed = parse_mime("Content-Type: multipart/mixed; boundary=b\n\nno delimiter at all\n");
  EXPECT_FALSE(parsed.problems.empty());

  parsed = parse_mime("Content-Type: garbage\n\nx");
  EXPECT_EQ(parsed.root.media_type, "text/plain");

  parsed = parse_mime("");
  EXPECT_EQ(parsed.root.body, "");
  parsed = parse_mime("no colon line\n\nbody");
  EXPECT_TRUE(parsed.root.fields.empty());
}

TEST(MimeParser, DeepNestingIsBounded) {
  std::string m;
  for (int i = 0; i < 1000; ++i) m += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" + std::to_string(i) + "\n";
  m += "\nleaf\n";
  const ParsedMessage parsed = parse_mime(m);
  EXPECT_FALSE(parsed.problems.empty());
  std::size_t depth = 0;
  for (const MimePart* part = &parsed.root; !part->children.empty(); part = &part->children[0]) ++depth;
  EXPECT_LE(depth, MimeLimits{}.max_depth);
}

TEST(MimeParser, PartCountIsBounded) {
  std::string m = "Content-Type: multipart/mixed; boundary=b\n\n";
  for (int i = 0; i < 5000; ++i) m += "--b\n\nx\n";
  m += "--b--\n";
  const ParsedMessage parsed = parse_mime(m);
  EXPECT_LE(parsed.root.children.size(), MimeLimits{}.max_parts);
  EXPECT_FALSE(parsed.problems.empty());
}

}  // namespace
}  // namespace mailpipe::mime
