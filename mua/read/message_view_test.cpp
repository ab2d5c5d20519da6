#include "mua/read/message_view.hpp"

#include <gtest/gtest.h>

#include <random>

#include "common/mime/random_token.hpp"
#include "mua/compose/outgoing_mail.hpp"

// The parser and the view together: what `mpmail read` makes of a message,
// and of what `mpmail send` composed.
namespace mailpipe::mua {
namespace {

using mime::MimePart;
using mime::ParsedMessage;
using mime::parse_mime;

TEST(MessageView, NestedMultipartsWithLfOrCrlf) {
  for (const std::string eol : {"\n", "\r\n"}) {
    std::string m = "Content-Type: multipart/mixed; boundary=\"outer\"" + eol + eol + "preamble" + eol +
                    "--outer" + eol + "Content-Type: multipart/alternative; boundary=inner" + eol + eol +
                    "--inner" + eol + "Content-Type: text/plain; charset=iso-8859-1" + eol +
                    "Content-Transfer-Encoding: quoted-printable" + eol + eol + "Gr=FC=DFe" + eol + "--inner" + eol +
                    "Content-Type: text/html" + eol + eol + "<p>hi</p>" + eol + "--inner--" + eol + "--outer" + eol +
                    "Content-Type: application/octet-stream; name=x.bin" + eol +
                    "Content-Disposition: attachment; filename*=utf-8''%C3%BC.bin" + eol +
                    "Content-Transfer-Encoding: base64" + eol + eol + "AAEC" + eol + "/w==" + eol + "--outer--  " +
                    eol + "epilogue" + eol;
    const ParsedMessage parsed = parse_mime(m);
    EXPECT_TRUE(parsed.problems.empty());
    ASSERT_EQ(parsed.root.children.size(), 2u);
    const MimePart& alternative = parsed.root.children[0];
    EXPECT_EQ(alternative.media_type, "multipart/alternative");
    ASSERT_EQ(alternative.children.size(), 2u);
    EXPECT_EQ(alternative.children[0].charset, "iso-8859-1");
    EXPECT_EQ(alternative.children[1].body, "<p>hi</p>");
    const MimePart& attachment = parsed.root.children[1];
    EXPECT_EQ(attachment.filename, "ü.bin");
    EXPECT_EQ(attachment.disposition, "attachment");

    const MessageView view = view_message(parsed.root);
    ASSERT_EQ(view.texts.size(), 1u);
    EXPECT_EQ(view.texts[0], "Grüße");
    ASSERT_EQ(view.attachments.size(), 2u);  // the HTML alternative and the file
    EXPECT_EQ(view.attachments[1].data, std::string("\x00\x01\x02\xff", 4));
  }
}

TEST(MessageView, ReadsBackWhatTheComposerWrote) {
  MailRequest request;
  request.from = {"", "a@example.test"};
  request.to = {{"", "b@example.test"}};
  request.body = "Grüße\n--=_mpmail_ looks like a boundary\n";
  std::string binary;
  for (int i = 0; i < 5000; ++i) binary += static_cast<char>(i * 13);
  request.attachments = {{"Bücher – Liste.bin", "application/octet-stream", binary},
                         {std::string(120, 'n') + ".pdf", "application/pdf", "%PDF"}};
  const std::string message = prepare_mail(request, [] { return mime::random_hex(16); }).message;
  const ParsedMessage parsed = parse_mime(message);
  EXPECT_TRUE(parsed.problems.empty());
  const MessageView view = view_message(parsed.root);
  ASSERT_EQ(view.texts.size(), 1u);
  EXPECT_EQ(view.texts[0], request.body);
  ASSERT_EQ(view.attachments.size(), 2u);
  EXPECT_EQ(view.attachments[0].filename, "Bücher – Liste.bin");
  EXPECT_EQ(view.attachments[0].data, binary);
  EXPECT_EQ(view.attachments[1].filename, std::string(120, 'n') + ".pdf");
  EXPECT_EQ(view.attachments[1].media_type, "application/pdf");
}

TEST(MessageView, SurvivesRandomDamage) {
  const std::string seed =
      "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset*=x'y'z;"
      " name*0*=utf-8''%C3; name*1*=%BC\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=BC=\r\n"
      "--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "w7w=\r\n--c--\r\n--b--\r\n";
  std::mt19937 random(1234);
  for (int round = 0; round < 3000; ++round) {
    std::string m = seed;
    const int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = random() % (m.size() + 1);
      switch (random() % 4) {
        case 0: if (at < m.size()) m[at] = static_cast<char>(random()); break;
        case 1: m.insert(at, 1, "\r\n-=;\"'*%(:"[random() % 11]); break;
        case 2: if (at < m.size()) m.erase(at, 1 + random() % 10); break;
        case 3: if (!m.empty()) m.insert(at, m.substr(random() % m.size(), random() % 40)); break;
      }
    }
    const ParsedMessage parsed = parse_mime(m);
    const MessageView view = view_message(parsed.root);
    (void)view;
  }
}

}  // namespace
}  // namespace mailpipe::mua
