#include "common/mime/quoted_printable.hpp"

#include <gtest/gtest.h>

#include <random>

#include "common/text/split.hpp"

namespace mailpipe::mime {
namespace {

TEST(QuotedPrintable, EncodesWhatMustBeEncoded) {
  const std::pair<std::string_view, std::string_view> table[] = {
      {"a=b\r\n", "a=3Db\r\n"},
      {"Grüße\r\n", "Gr=C3=BC=C3=9Fe\r\n"},
      {"trailing space \r\ntab\t\r\n", "trailing space=20\r\ntab=09\r\n"},
      {"From me\r\n", "=46rom me\r\n"},
      {"lone\rCR and lone\nLF\r\n", "lone=0DCR and lone=0ALF\r\n"},
      {"no final break", "no final break"},
      {"", ""}};
  for (const auto& [text, encoded] : table) EXPECT_EQ(qp_encode(text), encoded) << text;
}

TEST(QuotedPrintable, LongLinesGetSoftBreaksAt76) {
  const std::string line(200, 'a');
  const std::string encoded = qp_encode(line + "\r\n");
  for (const auto& l : split_at(encoded, "\r\n")) EXPECT_LE(l.size(), max_qp_line) << l;
  EXPECT_EQ(qp_decode(encoded), line + "\r\n");
}

TEST(QuotedPrintable, NeverSplitsAnEscape) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "ü";
  const std::string encoded = qp_encode(text + "\r\n");
  for (const auto& l : split_at(encoded, "\r\n")) {
    EXPECT_LE(l.size(), max_qp_line);
    // A soft-broken line ends in "=" after whole escapes: "=XX=XX...=".
    const std::string_view body = l.ends_with("=") ? l.substr(0, l.size() - 1) : l;
    EXPECT_EQ(body.size() % 3, 0u) << l;
  }
  EXPECT_EQ(qp_decode(encoded), text + "\r\n");
}

TEST(QuotedPrintable, HardLineBreaksAreKept) {
  const std::string text = "one\r\n\r\ntwo \r\n.\r\nthree";
  EXPECT_EQ(qp_decode(qp_encode(text)), text);
}

TEST(QuotedPrintable, RandomTextRoundTrips) {
  std::mt19937 random(42);
  for (int round = 0; round < 200; ++round) {
    std::string text;
    const int length = static_cast<int>(random() % 400);
    for (int i = 0; i < length; ++i) {
      const unsigned pick = random() % 10;
      text += pick == 0 ? std::string("\r\n") : pick == 1 ? std::string(" ") : std::string(1, static_cast<char>(random() % 256));
    }
    const std::string encoded = qp_encode(text);
    for (const auto& l : split_at(encoded, "\r\n")) ASSERT_LE(l.size(), max_qp_line) << l;
    for (char c : encoded) ASSERT_TRUE(c == '\r' || c == '\n' || c == '\t' || (c >= 32 && c < 127)) << static_cast<int>(c);
    ASSERT_EQ(qp_decode(encoded), text) << encoded;
  }
}

TEST(QuotedPrintable, DecodingIsLenient) {
  const std::pair<std::string_view, std::string_view> table[] = {
      {"soft=\nbreak\n", "softbreak\r\n"},  // LF alone
      {"soft= \r\nbreak", "softbreak"},  // white space after the "="
      {"trailing   \r\n", "trailing\r\n"},
      {"=e9t=C3=A9", "\xE9t\xC3\xA9"},  // lowercase hex
      {"a=ZZb =4", "a=ZZb =4"},  // not escapes: kept
      {"=", ""},
  };
  for (const auto& [input, expected] : table) EXPECT_EQ(qp_decode(input), expected) << input;
}

}  // namespace
}  // namespace mailpipe::mime
