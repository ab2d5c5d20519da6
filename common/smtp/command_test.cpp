#include "common/smtp/command.hpp"

#include <gtest/gtest.h>

namespace mailpipe::smtp {
namespace {

Command ok(std::string_view line, bool utf8 = false) {
  auto parsed = parse_command(line, utf8);
  if (auto* error = std::get_if<CommandError>(&parsed)) {
    ADD_FAILURE() << line << " -> " << error->reply.wire();
    return {};
  }
  return std::get<Command>(parsed);
}

std::string refused(std::string_view line, bool utf8 = false) {
  auto parsed = parse_command(line, utf8);
  if (!std::holds_alternative<CommandError>(parsed)) {
    ADD_FAILURE() << line << " was accepted";
    return "";
  }
  const Reply& reply = std::get<CommandError>(parsed).reply;
  return std::to_string(reply.code) + " " + reply.enhanced;
}

TEST(Command, VerbsAreCaseInsensitive) {
  EXPECT_EQ(ok("ehlo client.test").verb, Verb::ehlo);
  EXPECT_EQ(ok("QuIt").verb, Verb::quit);
  EXPECT_EQ(ok("ehlo client.test").argument, "client.test");
}

TEST(Command, UnknownVerbIs500) { EXPECT_EQ(refused("FROB x"), "500 5.5.2"); }

TEST(Command, HeloNeedsAnArgument) {
  EXPECT_EQ(refused("EHLO"), "501 5.5.4");
  EXPECT_EQ(refused("HELO "), "501 5.5.4");
}

TEST(Command, MailFromWithParameters) {
  const Command c = ok("MAIL FROM:<a@x.test> SIZE=1000 BODY=8BITMIME RET=HDRS ENVID=abc+2Bdef");
  EXPECT_EQ(c.verb, Verb::mail);
  EXPECT_EQ(c.path.str(), "a@x.test");
  EXPECT_EQ(c.mail.size, 1000u);
  EXPECT_EQ(c.mail.body, v1::BODY_8BITMIME);
  EXPECT_EQ(c.mail.ret_full, false);
  EXPECT_EQ(c.mail.envid, "abc+def");
}

TEST(Command, MailFromToleratesSpaceAfterColon) { EXPECT_EQ(ok("mail from: <a@x.test>").path.str(), "a@x.test"); }

TEST(Command, NullSender) { EXPECT_TRUE(ok("MAIL FROM:<>").path.empty()); }

TEST(Command, MailSyntaxErrorsUseSenderCode) {
  EXPECT_EQ(refused("MAIL FROM:a@x.test"), "501 5.1.7");
  EXPECT_EQ(refused("MAIL TO:<a@x.test>"), "501 5.1.7");
  EXPECT_EQ(refused("MAIL FROM:<a@x.test>SIZE=1"), "501 5.1.7");
}

TEST(Command, RcptSyntaxErrorsUseRecipientCode) {
  EXPECT_EQ(refused("RCPT TO:<@>"), "501 5.1.3");
  EXPECT_EQ(refused("RCPT TO:<>"), "501 5.1.3");
}

TEST(Command, RcptPostmasterWithoutDomain) { EXPECT_EQ(ok("RCPT TO:<Postmaster>").path.local, "postmaster"); }

TEST(Command, UnknownParameterIs555) {
  EXPECT_EQ(refused("MAIL FROM:<a@x.test> FOO=1"), "555 5.5.4");
  EXPECT_EQ(refused("MAIL FROM:<a@x.test> BODY=BINARYMIME"), "555 5.5.4");
  EXPECT_EQ(refused("RCPT TO:<a@x.test> SIZE=1"), "555 5.5.4");
}

TEST(Command, BadParameterValuesAre501) {
  EXPECT_EQ(refused("MAIL FROM:<a@x.test> SIZE=12x"), "501 5.5.4");
  EXPECT_EQ(refused("MAIL FROM:<a@x.test> SIZE=99999999999999999999999"), "501 5.5.4");
  EXPECT_EQ(refused("MAIL FROM:<a@x.test> RET=ALL"), "501 5.5.4");
  EXPECT_EQ(refused("MAIL FROM:<a@x.test> SMTPUTF8=yes"), "501 5.5.4");
  EXPECT_EQ(refused("MAIL FROM:<a@x.test> SIZE=1 size=2"), "501 5.5.4");
  EXPECT_EQ(refused("MAIL FROM:<a@x.test> ENVID=a+zz"), "501 5.5.4");
}

TEST(Command, NotifyAndOrcpt) {
  const Command c = ok("RCPT TO:<b@y.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+40y.test");
  EXPECT_EQ(c.rcpt.notify, static_cast<uint32_t>(v1::NOTIFY_SUCCESS | v1::NOTIFY_DELAY));
  EXPECT_EQ(c.rcpt.orcpt, "rfc822;b@y.test");
  EXPECT_EQ(ok("RCPT TO:<b@y.test> NOTIFY=NEVER").rcpt.notify, static_cast<uint32_t>(v1::NOTIFY_NEVER));
  EXPECT_EQ(refused("RCPT TO:<b@y.test> NOTIFY=NEVER,SUCCESS"), "501 5.5.4");
  EXPECT_EQ(refused("RCPT TO:<b@y.test> NOTIFY=SOMETIMES"), "501 5.5.4");
  EXPECT_EQ(refused("RCPT TO:<b@y.test> ORCPT=nosemicolon"), "501 5.5.4");
}

TEST(Command, Utf8AddressNeedsSmtputf8) {
  EXPECT_EQ(refused("MAIL FROM:<jörg@x.test>"), "553 5.6.7");
  EXPECT_TRUE(ok("MAIL FROM:<jörg@x.test> SMTPUTF8").mail.smtputf8);
  EXPECT_EQ(refused("RCPT TO:<jörg@x.test>"), "553 5.6.7");
  EXPECT_EQ(ok("RCPT TO:<jörg@x.test>", true).path.local, "jörg");
}

TEST(Command, NoArgumentVerbsRefuseArguments) {
  EXPECT_EQ(refused("DATA now"), "501 5.5.4");
  EXPECT_EQ(refused("STARTTLS please"), "501 5.5.4");
  EXPECT_EQ(ok("DATA").verb, Verb::data);
}

TEST(Command, AuthKeepsMechanismAndInitialResponse) {
  EXPECT_EQ(ok("AUTH PLAIN AGEAYg==").argument, "PLAIN AGEAYg==");
  EXPECT_EQ(refused("AUTH"), "501 5.5.4");
}

TEST(Xtext, DecodesHexEscapes) {
  EXPECT_EQ(decode_xtext("a+2Bb+3Dc"), "a+b=c");
  EXPECT_FALSE(decode_xtext("a+2"));
  EXPECT_FALSE(decode_xtext("a+2b"));  // lowercase hex is not xtext
  EXPECT_FALSE(decode_xtext("a=b"));
}

}  // namespace
}  // namespace mailpipe::smtp
