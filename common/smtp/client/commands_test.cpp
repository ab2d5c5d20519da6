#include "common/smtp/client/commands.hpp"
#include "common/smtp/client/reply_parser.hpp"
#include "mailpipe.pb.h"

#include <gtest/gtest.h>

namespace mailpipe::smtp::client {
namespace {

// Gathered from the mta's, the mda's and mpmail's tests of their copies.
TEST(DotStuff, DoublesLeadingDotsAndEndsWithTheMarker) {
  const std::pair<const char*, const char*> cases[] = {
      {"a\r\n.b\r\n..\r\n", "a\r\n..b\r\n...\r\n.\r\n"},
      {".first\r\n", "..first\r\n.\r\n"},
      {".a\r\nb\r\n..c\r\n", "..a\r\nb\r\n...c\r\n.\r\n"},
      {"no final newline", "no final newline\r\n.\r\n"},
      {"", ".\r\n"},
      {"a\n.b\r\n", "a\n.b\r\n.\r\n"},  // only CRLF starts a line
  };
  for (const auto& [message, stuffed] : cases) EXPECT_EQ(dot_stuff(message), stuffed) << message;
}

TEST(SplitEnhanced, OnlyWhenItMatchesTheClass) {
  Reply reply{550, "", "5.1.1 User unknown"};
  split_enhanced(reply);
  EXPECT_EQ(reply.enhanced, "5.1.1");
  EXPECT_EQ(reply.text, "User unknown");
  Reply mismatch{550, "", "2.1.1 odd"};
  split_enhanced(mismatch);
  EXPECT_EQ(mismatch.enhanced, "");
}

TEST(MailFromCommand, CarriesTheParametersAsked) {
  MailParameters parameters;
  parameters.size = 1234;
  parameters.eightbit = true;
  parameters.smtputf8 = true;
  parameters.ret_full = true;
  parameters.envid = "env+1=2";
  EXPECT_EQ(mail_from_command("a@example.test", parameters),
            "MAIL FROM:<a@example.test> SIZE=1234 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=env+2B1+3D2\r\n");
  EXPECT_EQ(mail_from_command("", {}), "MAIL FROM:<>\r\n");
}

TEST(MailFromCommand, RefusesWhatWouldSplitTheCommand) {
  EXPECT_EQ(mail_from_command("a@example.test>\r\nRCPT TO:<victim@example.test", {}), std::nullopt);
  EXPECT_EQ(mail_from_command("a\n@example.test", {}), std::nullopt);
  EXPECT_EQ(mail_from_command(std::string("a\0b@example.test", 15), {}), std::nullopt);
  EXPECT_EQ(mail_from_command("a<b@example.test", {}), std::nullopt);
}

TEST(RcptToCommand, NotifyAndOrcpt) {
  RcptParameters parameters;
  parameters.notify = v1::NOTIFY_FAILURE | v1::NOTIFY_DELAY;
  parameters.orcpt = "rfc822;User+x@example.test";
  EXPECT_EQ(rcpt_to_command("user@example.test", parameters),
            "RCPT TO:<user@example.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;User+2Bx@example.test\r\n");
  parameters.notify = v1::NOTIFY_NEVER | v1::NOTIFY_FAILURE;
  parameters.orcpt.clear();
  EXPECT_EQ(rcpt_to_command("user@example.test", parameters), "RCPT TO:<user@example.test> NOTIFY=NEVER\r\n");
  EXPECT_EQ(rcpt_to_command("user@example.test", {}), "RCPT TO:<user@example.test>\r\n");
}

TEST(RcptToCommand, RefusesWhatWouldSplitTheCommand) {
  EXPECT_EQ(rcpt_to_command("user@example.test\r\nDATA", {}), std::nullopt);
  EXPECT_EQ(rcpt_to_command("user@example.test>", {}), std::nullopt);
  RcptParameters bad_type;
  bad_type.orcpt = "rfc822\r\nQUIT;x@example.test";
  EXPECT_EQ(rcpt_to_command("user@example.test", bad_type), std::nullopt);
}

}  // namespace
}  // namespace mailpipe::smtp::client
