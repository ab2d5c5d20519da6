#include "common/mime/header_fields.hpp"

#include <gtest/gtest.h>

#include "common/mime/encoded_words.hpp"
#include "common/text/split.hpp"

namespace mailpipe::mime {
namespace {

// The value with folding undone and encoded-words decoded.
std::string read_back(const std::string& field) {
  std::string unfolded;
  for (const auto& line : split_at(field, "\r\n")) unfolded += line;
  return decode_encoded_words(unfolded.substr(unfolded.find(':') + 2));
}

TEST(SubjectField, PlainAsciiStaysReadable) {
  EXPECT_EQ(subject_field("Lunch at noon?"), "Subject: Lunch at noon?\r\n");
  EXPECT_EQ(subject_field("two  spaces"), "Subject: two  spaces\r\n");
}

TEST(SubjectField, NonAsciiBecomesEncodedWordsThatReadBack) {
  const std::string subject = "Grüße aus Köln — ☕";
  const std::string field = subject_field(subject);
  EXPECT_TRUE(field.starts_with("Subject: =?utf-8?")) << field;
  EXPECT_EQ(read_back(field), subject);
}

TEST(SubjectField, LongSubjectsFoldAt78) {
  std::string long_utf8;
  for (int i = 0; i < 12; ++i) long_utf8 += "Straße nach Köln und zurück ";
  std::string long_ascii;
  for (int i = 0; i < 20; ++i) long_ascii += "word" + std::to_string(i) + " ";
  const std::string very_long_word(200, 'x');
  for (const std::string& subject : {long_utf8, long_ascii, very_long_word}) {
    const std::string field = subject_field(subject);
    const auto lines = split_at(field, "\r\n");
    EXPECT_GT(lines.size(), 1u) << field;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      EXPECT_LE(lines[i].size(), 78u) << lines[i];
      if (i > 0) {
        EXPECT_TRUE(lines[i].starts_with(" ")) << lines[i];
      }
    }
    // Folding white space between encoded-words is not text, between plain words it is.
    std::string unfolded;
    for (const auto& line : lines) unfolded += line;
    if (needs_encoded_words(subject) || subject == very_long_word) {
      EXPECT_EQ(read_back(field), subject);
    } else {
      EXPECT_EQ(unfolded, "Subject: " + subject);
    }
  }
}

TEST(SubjectField, HeaderInjectionIsEncodedAway) {
  const std::string field = subject_field("hi\r\nBcc: victim@example.test");
  EXPECT_EQ(field.find("\r\nBcc"), std::string::npos);
  EXPECT_EQ(field.find('\n'), field.size() - 1);
}

TEST(AddressField, DisplayNamesAreAtomsQuotedOrEncoded) {
  EXPECT_EQ(address_field("From", {{"", "joerg@example.test"}}), "From: joerg@example.test\r\n");
  EXPECT_EQ(address_field("From", {{"Jane Doe", "jane@example.test"}}), "From: Jane Doe <jane@example.test>\r\n");
  EXPECT_EQ(address_field("From", {{"Doe, Jane \"JD\"", "jane@example.test"}}),
            "From: \"Doe, Jane \\\"JD\\\"\" <jane@example.test>\r\n");
  EXPECT_EQ(address_field("From", {{"Jörg Müller", "joerg@example.test"}}),
            "From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.test>\r\n");
  EXPECT_EQ(address_field("Cc", {}), "");
}

TEST(AddressField, ManyRecipientsFoldAfterCommas) {
  std::vector<Mailbox> mailboxes;
  for (int i = 0; i < 10; ++i) mailboxes.push_back({"Empfänger Nummer " + std::to_string(i), "r" + std::to_string(i) + "@example.test"});
  const std::string field = address_field("To", mailboxes);
  for (const auto& line : split_at(field, "\r\n")) EXPECT_LE(line.size(), 78u) << line;
  const std::string decoded = read_back(field);
  EXPECT_NE(decoded.find("Empfänger Nummer 0 <r0@example.test>, "), std::string::npos) << decoded;
  EXPECT_NE(decoded.find("Empfänger Nummer 9 <r9@example.test>"), std::string::npos) << decoded;
}

}  // namespace
}  // namespace mailpipe::mime
