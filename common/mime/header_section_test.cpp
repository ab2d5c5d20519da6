#include "common/mime/header_section.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mime {
namespace {

TEST(HeaderSection, UnfoldsAndSplitsAtTheEmptyLine) {
  const HeaderSection section = split_header_section("Subject: a\r\n  folded\r\nX-Y:z\r\n\r\nbody\r\n", 100);
  ASSERT_EQ(section.fields.size(), 2u);
  EXPECT_EQ(section.fields[0].name, "Subject");
  EXPECT_EQ(section.fields[0].value, "a  folded");
  EXPECT_EQ(section.fields[1].value, "z");
  EXPECT_EQ(section.body, "body\r\n");
}

TEST(HeaderSection, LfLineEndsAsInMaildirFiles) {
  const HeaderSection section = split_header_section("Return-Path: <a@b>\nSubject: x\n\tmore\n\nbody", 100);
  ASSERT_EQ(section.fields.size(), 2u);
  EXPECT_EQ(field_value(section.fields, "SUBJECT"), "x\tmore");
  EXPECT_EQ(section.body, "body");
}

TEST(HeaderSection, OddInput) {
  HeaderSection section = split_header_section("From mbox line\n: no name\ncontinuation first\n\n", 100);
  EXPECT_TRUE(section.fields.empty());
  section = split_header_section("Only: headers", 100);
  EXPECT_EQ(section.fields.size(), 1u);
  EXPECT_EQ(section.body, "");
  section = split_header_section("", 100);
  EXPECT_TRUE(section.fields.empty());
  std::string many;
  for (int i = 0; i < 50; ++i) many += "X: y\n";
  section = split_header_section(many, 10);
  EXPECT_EQ(section.fields.size(), 10u);
  EXPECT_TRUE(section.too_many_fields);
}

}  // namespace
}  // namespace mailpipe::mime
