#include "ctl/json.hpp"

#include <gtest/gtest.h>

namespace mailpipe::ctl {
namespace {

TEST(JsonString, QuotesPlainText) { EXPECT_EQ(json_string("bob@example.test"), "\"bob@example.test\""); }

TEST(JsonString, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(json_string(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
}

TEST(JsonString, EscapesEveryControlByte) {
  EXPECT_EQ(json_string("a\nb\rc\td\be\ff"), R"("a\nb\rc\td\be\ff")");
  EXPECT_EQ(json_string(std::string("\0\x01\x1b[2J\x1f\x7f", 8)), R"("\u0000\u0001\u001b[2J\u001f\u007f")");
}

TEST(JsonString, PassesValidUtf8Through) {
  EXPECT_EQ(json_string("J\xC3\xBCrgen \xE2\x82\xAC \xF0\x9F\x93\xA7"), "\"J\xC3\xBCrgen \xE2\x82\xAC \xF0\x9F\x93\xA7\"");
}

TEST(JsonString, ReplacesEachInvalidUtf8Byte) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(json_string("a\xFF" "b"), "\"a" + fffd + "b\"");
  EXPECT_EQ(json_string("\xC3"), "\"" + fffd + "\"");                          // truncated
  EXPECT_EQ(json_string("\xC0\xAF"), "\"" + fffd + fffd + "\"");               // overlong "/"
  EXPECT_EQ(json_string("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");    // surrogate U+D800
  EXPECT_EQ(json_string("\xF4\x90\x80\x80"), "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
  EXPECT_EQ(json_string("\x80" "x"), "\"" + fffd + "x\"");                     // lone continuation
}

TEST(JsonString, EmptyIsTwoQuotes) { EXPECT_EQ(json_string(""), "\"\""); }

}  // namespace
}  // namespace mailpipe::ctl
