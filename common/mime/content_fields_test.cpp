#include "common/mime/content_fields.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mime {
namespace {

TEST(ContentFields, TypeAndParameters) {
  const ContentField field = parse_content_field("Multipart/Mixed; BOUNDARY=\"a b;c\"; charset=UTF-8 (comment)");
  EXPECT_EQ(field.value, "multipart/mixed");
  EXPECT_EQ(field.params.at("boundary"), "a b;c");
  EXPECT_EQ(field.params.at("charset"), "UTF-8");
}

TEST(ContentFields, CommentsFoldingAndEscapes) {
  const ContentField field =
      parse_content_field("text/plain (plain (nested) text);\r\n\tname=\"a \\\"quoted\\\" name\"; x = y");
  EXPECT_EQ(field.value, "text/plain");
  EXPECT_EQ(field.params.at("name"), "a \"quoted\" name");
  EXPECT_EQ(field.params.at("x"), "y");
}

TEST(ContentFields, Rfc2231Parameters) {
  const ContentField field = parse_content_field(
      "attachment; filename*0*=utf-8''%C3%9Cber; filename*1*=sicht.pdf; filename=\"fallback.pdf\"");
  EXPECT_EQ(field.value, "attachment");
  EXPECT_EQ(field.params.at("filename"), "Übersicht.pdf");
}

TEST(ContentFields, GarbageIsSkipped) {
  ContentField field = parse_content_field("attachment; ; =x; junk; filename=a.txt; \"unterminated");
  EXPECT_EQ(field.params.at("filename"), "a.txt");
  field = parse_content_field("");
  EXPECT_EQ(field.value, "");
  field = parse_content_field("(((((");
  EXPECT_EQ(field.value, "");
  field = parse_content_field("text/plain; name=\"a;b\" trailing; c=d");
  EXPECT_EQ(field.params.at("name"), "a;b");
  EXPECT_EQ(field.params.at("c"), "d");
}

}  // namespace
}  // namespace mailpipe::mime
