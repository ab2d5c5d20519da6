#include "common/mime/encoded_words.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstring>

#include "common/smtp/address.hpp"

namespace mailpipe::mime {
namespace {

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : " ") + word;
  return out;
}

const char* const samples[] = {
    "Grüße aus Köln — ☕",
    "Jörg Müller",
    "日本語のメールの件名はとても長くなることがあります。日本語のメールの件名はとても長くなることがあります。",
    "emoji 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
    "a_b=c?d \"quoted\" (comment) <x@y> tab\there",
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ",
};

TEST(EncodedWords, RoundTripThroughDecoding) {
  for (const char* sample : samples) {
    EXPECT_EQ(decode_encoded_words(joined(encode_words(sample))), sample) << sample;
    EXPECT_EQ(decode_encoded_words(joined(encode_words(sample, 30))), sample) << sample;
  }
}

TEST(EncodedWords, EveryWordIsAtMost75AndTheFirstFitsItsRoom) {
  for (const char* sample : samples) {
    for (std::size_t first : {75u, 69u, 40u, 20u}) {
      const auto words = encode_words(sample, first);
      ASSERT_FALSE(words.empty());
      EXPECT_LE(words[0].size(), first) << sample;
      for (const auto& word : words) EXPECT_LE(word.size(), max_encoded_word) << word;
    }
  }
}

TEST(EncodedWords, NeverSplitsAUtf8Character) {
  // Each word must decode alone to valid UTF-8 (RFC 2047 5).
  for (const char* sample : samples) {
    for (const auto& word : encode_words(sample, 25)) {
      const std::string alone = decode_encoded_words(word);
      EXPECT_TRUE(smtp::valid_utf8(alone)) << word;
      EXPECT_EQ(alone.find("\xEF\xBF\xBD"), std::string::npos) << word;  // no U+FFFD
    }
  }
}

TEST(EncodedWords, ChoosesQForLatinAndBForOtherScripts) {
  EXPECT_EQ(encode_words("Jörg Müller"), std::vector<std::string>{"=?utf-8?q?J=C3=B6rg_M=C3=BCller?="});
  EXPECT_TRUE(encode_words("日本語")[0].starts_with("=?utf-8?b?"));
}

TEST(EncodedWords, QUsesOnlyPhraseSafeCharacters) {
  // RFC 2047 5(3): in a phrase only letters, digits and !*+-/ stand for themselves.
  for (const auto& word : encode_words("a,b;c:d\"e(f)g<h>i@j.k_l=m?n ö")) {
    const std::string_view text = std::string_view(word).substr(10, word.size() - 12);
    for (char c : text) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!*+-/=_", c)) << word;
  }
}

TEST(EncodedWords, NeedsEncodingForNonAsciiControlsAndLookalikes) {
  EXPECT_FALSE(needs_encoded_words("plain subject, with punctuation!"));
  EXPECT_TRUE(needs_encoded_words("café"));
  EXPECT_TRUE(needs_encoded_words("a\r\nBcc: x@y"));
  EXPECT_TRUE(needs_encoded_words("looks =?like?= a word"));
}

TEST(EncodedWords, DecodesRfc2047Examples) {
  // RFC 2047 section 8.
  const std::pair<std::string_view, std::string_view> table[] = {
      {"(=?ISO-8859-1?Q?a?=)", "(a)"},
      {"(=?ISO-8859-1?Q?a?= b)", "(a b)"},
      {"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"},
      {"(=?ISO-8859-1?Q?a?=  \r\n    =?ISO-8859-1?Q?b?=)", "(ab)"},
      {"(=?ISO-8859-1?Q?a_b?=)", "(a b)"},
      {"=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>", "Keith Moore <moore@cs.utk.edu>"},
      {"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=", "Keld Jørn Simonsen"},
      {"=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?= =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
       "If you can read this you understand the example."}};
  for (const auto& [input, expected] : table) EXPECT_EQ(decode_encoded_words(input), expected) << input;
}

TEST(EncodedWords, JoinsACharacterSplitAcrossWords) {
  // "ö" is C3 B6; a sloppy encoder put the two bytes in two words.
  EXPECT_EQ(decode_encoded_words("=?utf-8?q?J=C3?= =?UTF-8?Q?=B6rg?="), "Jörg");
}

TEST(EncodedWords, ToleratesBrokenWords) {
  const std::pair<std::string_view, std::string_view> table[] = {
      {"=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
      {"=?utf-8?q?unterminated", "=?utf-8?q?unterminated"},
      {"=??q?a?=", "=??q?a?="},
      {"=?utf-8?b?w6k?=", "é"},  // missing padding
      {"=?utf-8?q?=FF?=", "\xEF\xBF\xBD"},  // invalid UTF-8 shown as U+FFFD
      {"=?x-unknown?q?abc?=", "abc"},
      {"=?utf-8*de?q?Gr=C3=BC=C3=9Fe?=", "Grüße"},  // RFC 2231 language
      {"plain \xFF text", "plain \xEF\xBF\xBD text"},
  };
  for (const auto& [input, expected] : table) EXPECT_EQ(decode_encoded_words(input), expected) << input;
}

}  // namespace
}  // namespace mailpipe::mime
