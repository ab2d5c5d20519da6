#include "mua/compose/outgoing_mail.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "common/mime/random_token.hpp"
#include "common/text/split.hpp"

namespace mailpipe::mua {
namespace {

std::string header_of(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 2); }

MailRequest sample_request() {
  MailRequest request;
  request.from = {"Jörg Müller", "joerg@example.test"};
  request.to = {{"", "alice@example.test"}, {"Bob", "bob@example.test"}};
  request.cc = {{"Carol", "carol@example.test"}};
  request.bcc = {{"Secret Sam", "sam@hidden.test"}, {"", "ALICE@example.test"}};
  request.subject = "Grüße aus Köln — ☕";
  request.body = "Hallo,\nwie geht's? Schöne Grüße\n";
  request.now = 1700000000;
  return request;
}

std::function<std::string()> random_tokens() {
  return [] { return mime::random_hex(16); };
}

TEST(OutgoingMail, BccIsInTheEnvelopeOnlyNeverInTheHeader) {
  const OutgoingMail mail = prepare_mail(sample_request(), random_tokens());
  EXPECT_EQ(mail.recipients, (std::vector<std::string>{"alice@example.test", "bob@example.test",
                                                       "carol@example.test", "sam@hidden.test"}));
  EXPECT_EQ(mail.mail_from, "joerg@example.test");
  EXPECT_EQ(mail.message.find("sam@hidden.test"), std::string::npos);
  EXPECT_EQ(mail.message.find("Secret"), std::string::npos);
  EXPECT_EQ(mail.message.find("Bcc"), std::string::npos);
}

TEST(OutgoingMail, HeaderHasEveryFieldInRfc5322Form) {
  const OutgoingMail mail = prepare_mail(sample_request(), random_tokens());
  const std::string header = header_of(mail.message);
  EXPECT_TRUE(std::regex_search(header, std::regex("^Date: [A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} "
                                                   "\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}\r\n")))
      << header;
  EXPECT_NE(header.find("From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.test>\r\n"), std::string::npos);
  EXPECT_NE(header.find("To: alice@example.test, Bob <bob@example.test>\r\n"), std::string::npos);
  EXPECT_NE(header.find("Cc: Carol <carol@example.test>\r\n"), std::string::npos);
  EXPECT_NE(header.find("Subject: =?utf-8?"), std::string::npos);
  EXPECT_TRUE(std::regex_search(header, std::regex("\r\nMessage-ID: <1700000000\\.[0-9a-f]{32}@example\\.test>\r\n")));
  EXPECT_NE(header.find("MIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(header.find("User-Agent: mpmail\r\n"), std::string::npos);
  EXPECT_NE(header.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(header.find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string::npos);
  for (const auto& line : split_at(header, "\r\n")) EXPECT_LE(line.size(), 78u) << line;
  EXPECT_FALSE(mail.eight_bit);
  EXPECT_FALSE(mail.needs_smtputf8);
}

TEST(OutgoingMail, MessageIdsAreUnique) {
  const OutgoingMail a = prepare_mail(sample_request(), random_tokens());
  const OutgoingMail b = prepare_mail(sample_request(), random_tokens());
  const auto id = [](const std::string& m) {
    const std::size_t start = m.find("Message-ID: ");
    return m.substr(start, m.find("\r\n", start) - start);
  };
  EXPECT_NE(id(a.message), id(b.message));
}

TEST(OutgoingMail, AsciiShortLinesGo7bit) {
  MailRequest request = sample_request();
  request.body = "plain\nascii\n";
  const OutgoingMail mail = prepare_mail(request, random_tokens());
  EXPECT_NE(mail.message.find("Content-Transfer-Encoding: 7bit\r\n\r\nplain\r\nascii\r\n"), std::string::npos);
}

TEST(OutgoingMail, AttachmentsMakeAMultipartWithBase64AndFilenames) {
  MailRequest request = sample_request();
  std::string binary;
  for (int i = 0; i < 1000; ++i) binary += static_cast<char>(i * 7);
  request.attachments = {{"Übersicht 2024.bin", "application/octet-stream", binary}, {"notes.txt", "text/plain", "hi"}};
  const OutgoingMail mail = prepare_mail(request, random_tokens());
  const std::string& m = mail.message;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(m, match, std::regex("Content-Type: multipart/mixed;\\s+boundary=\"([^\"]+)\"\r\n")));
  const std::string boundary = match[1];
  EXPECT_NE(m.find("\r\n--" + boundary + "\r\nContent-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_TRUE(std::regex_search(
      m, std::regex("Content-Disposition: attachment;\\s+filename\\*=utf-8''%C3%9Cbersicht%202024\\.bin\r\n")))
      << m;
  EXPECT_NE(m.find("Content-Disposition: attachment; filename=notes.txt\r\n"), std::string::npos) << m;
  EXPECT_TRUE(m.ends_with("\r\n--" + boundary + "--\r\n"));
  // Exactly one opening delimiter per part, and the closing one.
  std::size_t count = 0;
  for (std::size_t pos = m.find("\r\n--" + boundary); pos != std::string::npos; pos = m.find("\r\n--" + boundary, pos + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 4u);
  for (const auto& line : split_at(m, "\r\n")) EXPECT_LE(line.size(), 78u) << line;
  EXPECT_FALSE(mail.eight_bit);
}

TEST(OutgoingMail, NonAsciiAddressesNeedSmtputf8) {
  MailRequest request = sample_request();
  request.to = {{"", "jörg@bücher.example"}};
  const OutgoingMail mail = prepare_mail(request, random_tokens());
  EXPECT_TRUE(mail.needs_smtputf8);
  EXPECT_TRUE(mail.eight_bit);
}

TEST(OutgoingMail, AttachedMessageIsNeverBase64) {
  MailRequest request = sample_request();
  request.attachments = {{"fwd.eml", "message/rfc822", "Subject: hi\n\nbody\n"},
                         {"bin.eml", "message/rfc822", std::string("\x00\xFF", 2)}};
  const std::string m = prepare_mail(request, random_tokens()).message;
  EXPECT_NE(m.find("Content-Type: message/rfc822; name=fwd.eml\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("Content-Transfer-Encoding: 7bit\r\n\r\nSubject: hi\r\n\r\nbody\r\n"), std::string::npos) << m;
  EXPECT_NE(m.find("Content-Type: application/octet-stream; name=bin.eml\r\n"), std::string::npos) << m;
}

}  // namespace
}  // namespace mailpipe::mua
