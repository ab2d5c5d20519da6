// printable_utf8: what every remote text becomes before it is stored
// (RFC 3629 validity, C0, DEL and C1 controls replaced).
#include <gtest/gtest.h>

#include <string>

#include "common/smtp/address.hpp"
#include "common/smtp/client/reply_parser.hpp"

namespace mailpipe::smtp::client {
namespace {

TEST(PrintableUtf8, KeepsPrintableText) {
  EXPECT_EQ(printable_utf8(""), "");
  EXPECT_EQ(printable_utf8("plain ASCII ~!"), "plain ASCII ~!");
  EXPECT_EQ(printable_utf8("\xc2\xa0\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf"),
            "\xc2\xa0\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf");  // U+00A0 U+D7FF U+E000 U+10FFFF
}

TEST(PrintableUtf8, RejectsOverlongEncodings) {
  EXPECT_EQ(printable_utf8("\xc0\x80"), "??");          // U+0000 in two bytes
  EXPECT_EQ(printable_utf8("\xc1\xbf"), "??");          // U+007F in two bytes
  EXPECT_EQ(printable_utf8("\xe0\x80\xaf"), "???");     // '/' in three bytes
  EXPECT_EQ(printable_utf8("\xf0\x8f\xbf\xbf"), "????");  // U+FFFF in four bytes
}

TEST(PrintableUtf8, RejectsSurrogates) {
  EXPECT_EQ(printable_utf8("\xed\xa0\x80"), "???");  // U+D800
  EXPECT_EQ(printable_utf8("\xed\xbf\xbf"), "???");  // U+DFFF
}

TEST(PrintableUtf8, RejectsCodePointsAboveU10FFFF) {
  EXPECT_EQ(printable_utf8("\xf4\x90\x80\x80"), "????");  // U+110000
  EXPECT_EQ(printable_utf8("\xf5\x80\x80\x80"), "????");
  EXPECT_EQ(printable_utf8("\xff"), "?");
}

TEST(PrintableUtf8, ReplacesTruncatedAndStraySequences) {
  EXPECT_EQ(printable_utf8("\xe2\x82"), "??");       // euro sign cut short
  EXPECT_EQ(printable_utf8("a\x80z"), "a?z");        // continuation byte alone
  EXPECT_EQ(printable_utf8("\xe2\x82" "a"), "??a");  // cut short mid-text
}

// C1 controls (U+0080..U+009F) are control characters too: U+009B is CSI,
// which terminals that take 8-bit controls act on as ESC '['.
TEST(PrintableUtf8, ReplacesC1ControlCharacters) {
  EXPECT_EQ(printable_utf8("a\xc2\x9b" "31mb"), "a?31mb");
  EXPECT_EQ(printable_utf8("\xc2\x80\xc2\x9f"), "??");
}

}  // namespace
}  // namespace mailpipe::smtp::client
