#include "common/mime/charset.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mime {
namespace {

TEST(Charset, ConvertsTheCommonCharsetsToUtf8) {
  EXPECT_EQ(to_utf8("Gr\xFC\xDF" "e", "ISO-8859-1"), "Grüße");
  EXPECT_EQ(to_utf8("Gr\xFC\xDF" "e", "latin1"), "Grüße");
  EXPECT_EQ(to_utf8("\x80 \x93quoted\x94", "windows-1252"), "€ “quoted”");
  EXPECT_EQ(to_utf8("\x80", "iso-8859-1"), "€");  // labelled latin-1, meant cp1252 (WHATWG)
  EXPECT_EQ(to_utf8("caf\xC3\xA9", "UTF-8"), "café");
  EXPECT_EQ(to_utf8("caf\xE9", "utf-8"), "caf\uFFFD");
  EXPECT_EQ(to_utf8("caf\xE9", "us-ascii"), "caf\uFFFD");
  EXPECT_EQ(to_utf8("x", "\"utf-8\""), "x");
}

TEST(Charset, UnknownCharsetsAreSaidSo) {
  EXPECT_FALSE(to_utf8("x", "koi8-r"));
  EXPECT_EQ(to_utf8_or_guess("plain", "koi8-r"), "plain");
}

}  // namespace
}  // namespace mailpipe::mime
