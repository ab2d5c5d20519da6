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

struct Refusal {
  std::string line;
  const char* reply;  // code and enhanced code, "501 5.5.4"
};

void expect_refusals(std::initializer_list<Refusal> cases) {
  for (const auto& [line, reply] : cases) EXPECT_EQ(refused(line), reply) << line;
}

TEST(Command, VerbsAreCaseInsensitive) {
  EXPECT_EQ(ok("ehlo client.test").verb, Verb::ehlo);
  EXPECT_EQ(ok("QuIt").verb, Verb::quit);
  EXPECT_EQ(ok("ehlo client.test").argument, "client.test");
}

TEST(Command, UnknownVerbIs500) { EXPECT_EQ(refused("FROB x"), "500 5.5.2"); }

TEST(Command, HeloNeedsAnArgument) {
  expect_refusals({{"EHLO", "501 5.5.4"}, {"HELO ", "501 5.5.4"}});
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
  expect_refusals({
      {"MAIL FROM:a@x.test", "501 5.1.7"},
      {"MAIL TO:<a@x.test>", "501 5.1.7"},
      {"MAIL FROM:<a@x.test>SIZE=1", "501 5.1.7"},
  });
}

TEST(Command, RcptSyntaxErrorsUseRecipientCode) {
  expect_refusals({{"RCPT TO:<@>", "501 5.1.3"}, {"RCPT TO:<>", "501 5.1.3"}});
}

TEST(Command, RcptPostmasterWithoutDomain) { EXPECT_EQ(ok("RCPT TO:<Postmaster>").path.local, "postmaster"); }

TEST(Command, UnknownParameterIs555) {
  expect_refusals({
      {"MAIL FROM:<a@x.test> FOO=1", "555 5.5.4"},
      {"MAIL FROM:<a@x.test> BODY=BINARYMIME", "555 5.5.4"},
      {"RCPT TO:<a@x.test> SIZE=1", "555 5.5.4"},
  });
}

TEST(Command, BadParameterValuesAre501) {
  expect_refusals({
      {"MAIL FROM:<a@x.test> SIZE=12x", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> SIZE=99999999999999999999999", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> RET=ALL", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> SMTPUTF8=yes", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> SIZE=1 size=2", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> ENVID=a+zz", "501 5.5.4"},
  });
}

TEST(Command, NotifyAndOrcpt) {
  const Command c = ok("RCPT TO:<b@y.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+40y.test");
  EXPECT_EQ(c.rcpt.notify, static_cast<uint32_t>(v1::NOTIFY_SUCCESS | v1::NOTIFY_DELAY));
  EXPECT_EQ(c.rcpt.orcpt, "rfc822;b@y.test");
  EXPECT_EQ(ok("RCPT TO:<b@y.test> NOTIFY=NEVER").rcpt.notify, static_cast<uint32_t>(v1::NOTIFY_NEVER));
  expect_refusals({
      {"RCPT TO:<b@y.test> NOTIFY=NEVER,SUCCESS", "501 5.5.4"},
      {"RCPT TO:<b@y.test> NOTIFY=SOMETIMES", "501 5.5.4"},
      {"RCPT TO:<b@y.test> ORCPT=nosemicolon", "501 5.5.4"},
  });
}

TEST(Command, Utf8AddressNeedsSmtputf8) {
  EXPECT_EQ(refused("MAIL FROM:<jörg@x.test>"), "553 5.6.7");
  EXPECT_TRUE(ok("MAIL FROM:<jörg@x.test> SMTPUTF8").mail.smtputf8);
  EXPECT_EQ(refused("RCPT TO:<jörg@x.test>"), "553 5.6.7");
  EXPECT_EQ(ok("RCPT TO:<jörg@x.test>", true).path.local, "jörg");
}

TEST(Command, NoArgumentVerbsRefuseArguments) {
  expect_refusals({{"DATA now", "501 5.5.4"}, {"STARTTLS please", "501 5.5.4"}});
  EXPECT_EQ(ok("DATA").verb, Verb::data);
}

TEST(Command, AuthKeepsMechanismAndInitialResponse) {
  EXPECT_EQ(ok("AUTH PLAIN AGEAYg==").argument, "PLAIN AGEAYg==");
  EXPECT_EQ(refused("AUTH"), "501 5.5.4");
}

TEST(Command, EveryVerbIsKnown) {
  const std::pair<const char*, Verb> table[] = {
      {"HELO a", Verb::helo}, {"EHLO a", Verb::ehlo},         {"MAIL FROM:<>", Verb::mail}, {"RCPT TO:<a@b>", Verb::rcpt},
      {"DATA", Verb::data},   {"RSET", Verb::rset},           {"NOOP", Verb::noop},         {"QUIT", Verb::quit},
      {"VRFY a", Verb::vrfy}, {"HELP", Verb::help},           {"STARTTLS", Verb::starttls}, {"AUTH PLAIN", Verb::auth},
      {"EXPN a", Verb::expn}, {"BDAT 10 LAST", Verb::bdat}};
  for (const auto& [line, verb] : table) EXPECT_EQ(ok(line).verb, verb) << line;
  EXPECT_EQ(ok("starttls").verb, Verb::starttls);
  EXPECT_EQ(ok("mAiL fRoM:<a@b.test>").verb, Verb::mail);
}

TEST(Command, VerbMustBeAWholeWord) {
  expect_refusals({
      {"", "500 5.5.2"},
      {" NOOP", "500 5.5.2"},
      {"NOOPX", "500 5.5.2"},
      {"NOO", "500 5.5.2"},
      {"MAIL:FROM:<a@b>", "500 5.5.2"},
  });
}

TEST(Command, HeloKeepsTheNameAsGivenButBounded) {
  EXPECT_EQ(ok("HELO [192.0.2.1]").argument, "[192.0.2.1]");
  EXPECT_EQ(ok("EHLO  Client.Example").argument, "Client.Example");
  EXPECT_EQ(ok("EHLO client.example extra words").argument, "client.example");
  EXPECT_EQ(ok("EHLO " + std::string(255, 'h')).argument.size(), 255u);
  expect_refusals({
      {"EHLO " + std::string(256, 'h'), "501 5.5.4"},
      {"EHLO a\tb", "501 5.5.4"},
      {"EHLO a\x7f", "501 5.5.4"},
  });
}

TEST(Command, PathErrorsMapToTheirReplies) {
  expect_refusals({
      {"MAIL FROM:<a..b@x.test>", "501 5.1.7"},
      {"MAIL FROM:<" + std::string(65, 'a') + "@x.test>", "501 5.1.7"},
      {"RCPT TO:<" + std::string(65, 'a') + "@x.test>", "501 5.1.3"},
      {"RCPT TO:b@y.test", "501 5.1.3"},
      {"RCPT FROM:<b@y.test>", "501 5.1.3"},
      {"RCPT", "501 5.1.3"},
      {"MAIL", "501 5.1.7"},
      {"MAIL FROM:", "501 5.1.7"},
      {"MAIL FROM:  <a@x.test>", "501 5.1.7"},  // only one space is tolerated
      {"MAIL FROM:<a@x.test", "501 5.1.7"},
  });
}

TEST(Command, SourceRouteAndQuotedPathsInCommands) {
  EXPECT_EQ(ok("RCPT TO:<@relay.test:bob@y.test>").path.str(), "bob@y.test");
  // A '>' inside a quoted local part does not end the path.
  const Command c = ok("MAIL FROM:<\"a> b\"@x.test> SIZE=5");
  EXPECT_EQ(c.path.local, "\"a> b\"");
  EXPECT_EQ(c.mail.size, 5u);
}

TEST(Command, ParametersAreCaseInsensitiveAndSpacesTolerated) {
  const Command c = ok("MAIL FROM:<a@x.test>  size=10   body=8bitmime smtputf8 ");
  EXPECT_EQ(c.mail.size, 10u);
  EXPECT_EQ(c.mail.body, v1::BODY_8BITMIME);
  EXPECT_TRUE(c.mail.smtputf8);
  EXPECT_EQ(ok("MAIL FROM:<a@x.test> BODY=7BIT").mail.body, v1::BODY_7BIT);
  EXPECT_FALSE(ok("MAIL FROM:<a@x.test>").mail.size.has_value());
  EXPECT_FALSE(ok("MAIL FROM:<a@x.test>").mail.ret_full.has_value());
}

TEST(Command, SizeEdges) {
  EXPECT_EQ(ok("MAIL FROM:<a@x.test> SIZE=0").mail.size, 0u);
  EXPECT_EQ(ok("MAIL FROM:<a@x.test> SIZE=18446744073709551615").mail.size, UINT64_MAX);
  expect_refusals({
      {"MAIL FROM:<a@x.test> SIZE=18446744073709551616", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> SIZE=", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> SIZE", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> SIZE=-1", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> SIZE=+1", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> SIZE=1=2", "501 5.5.4"},
  });
}

TEST(Command, BodyValues) {
  expect_refusals({
      {"MAIL FROM:<a@x.test> BODY=binarymime", "555 5.5.4"},
      {"MAIL FROM:<a@x.test> BODY=9BIT", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> BODY", "501 5.5.4"},
  });
}

TEST(Command, RetValues) {
  EXPECT_EQ(ok("MAIL FROM:<a@x.test> RET=FULL").mail.ret_full, true);
  EXPECT_EQ(ok("MAIL FROM:<a@x.test> ret=hdrs").mail.ret_full, false);
  EXPECT_EQ(refused("MAIL FROM:<a@x.test> RET"), "501 5.5.4");
}

TEST(Command, EnvidIsXtextDecodedAndBounded) {
  EXPECT_EQ(ok("MAIL FROM:<a@x.test> ENVID=QQ314159").mail.envid, "QQ314159");
  EXPECT_EQ(ok("MAIL FROM:<a@x.test> ENVID=" + std::string(100, 'e')).mail.envid.size(), 100u);
  expect_refusals({
      {"MAIL FROM:<a@x.test> ENVID=" + std::string(101, 'e'), "501 5.5.4"},
      {"MAIL FROM:<a@x.test> ENVID=", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> ENVID=a+0Db", "501 5.5.4"},  // CR hidden in xtext
      {"MAIL FROM:<a@x.test> ENVID=a+20b", "501 5.5.4"},  // space is not printable
  });
}

TEST(Command, AuthParameterOnMail) {
  EXPECT_EQ(ok("MAIL FROM:<a@x.test> AUTH=<>").mail.auth, "<>");
  EXPECT_EQ(ok("MAIL FROM:<a@x.test> AUTH=e+3Dmc2@example.com").mail.auth, "e=mc2@example.com");
  expect_refusals({
      {"MAIL FROM:<a@x.test> AUTH=", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> AUTH", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> AUTH=a+", "501 5.5.4"},
  });
}

TEST(Command, DuplicateParametersAre501) {
  expect_refusals({
      {"MAIL FROM:<a@x.test> SMTPUTF8 smtputf8", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> BODY=7BIT BODY=8BITMIME", "501 5.5.4"},
      {"RCPT TO:<b@y.test> NOTIFY=NEVER NOTIFY=NEVER", "501 5.5.4"},
      {"RCPT TO:<b@y.test> ORCPT=rfc822;b@y.test ORCPT=rfc822;b@y.test", "501 5.5.4"},
  });
}

TEST(Command, MalformedParameterSyntaxIs501) {
  expect_refusals({
      {"MAIL FROM:<a@x.test> =1", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> -X=1", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> X_Y=1", "501 5.5.4"},
      {"MAIL FROM:<a@x.test> XFOO=", "501 5.5.4"},
  });
}

TEST(Command, RcptOnlyParametersAreUnknownOnMail) {
  expect_refusals({
      {"MAIL FROM:<a@x.test> NOTIFY=NEVER", "555 5.5.4"},
      {"RCPT TO:<b@y.test> SMTPUTF8", "555 5.5.4"},
      {"RCPT TO:<b@y.test> BODY=8BITMIME", "555 5.5.4"},
  });
}

TEST(Command, UnknownParameterReplyEchoesOnlySafeBytes) {
  auto parsed = parse_command("MAIL FROM:<a@x.test> XFOO=\xC3\xA9" + std::string(200, 'v'));
  ASSERT_TRUE(std::holds_alternative<CommandError>(parsed));
  const Reply& reply = std::get<CommandError>(parsed).reply;
  EXPECT_EQ(reply.code, 555);
  EXPECT_LT(reply.text.size(), 120u);
  for (char c : reply.text) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << reply.text;
  EXPECT_EQ(std::get<CommandError>(parse_command("MAIL FROM:<a@x.test> FOO=bar")).reply.text,
            "Unsupported parameter: FOO=bar");
}

TEST(Command, NotifyListRules) {
  EXPECT_EQ(ok("RCPT TO:<b@y.test> NOTIFY=failure").rcpt.notify, static_cast<uint32_t>(v1::NOTIFY_FAILURE));
  EXPECT_EQ(ok("RCPT TO:<b@y.test> NOTIFY=SUCCESS,FAILURE,DELAY").rcpt.notify,
            static_cast<uint32_t>(v1::NOTIFY_SUCCESS | v1::NOTIFY_FAILURE | v1::NOTIFY_DELAY));
  EXPECT_EQ(ok("RCPT TO:<b@y.test>").rcpt.notify, 0u);
  for (const char* bad : {"NOTIFY=", "NOTIFY", "NOTIFY=SUCCESS,", "NOTIFY=,SUCCESS", "NOTIFY=SUCCESS,,DELAY",
                          "NOTIFY=DELAY,NEVER", "NOTIFY=SUCCESS DELAY"}) {
    EXPECT_EQ(refused(std::string("RCPT TO:<b@y.test> ") + bad), bad == std::string("NOTIFY=SUCCESS DELAY") ? "555 5.5.4" : "501 5.5.4") << bad;
  }
}

TEST(Command, OrcptRules) {
  EXPECT_EQ(ok("RCPT TO:<b@y.test> ORCPT=rfc822;Bob+2BTag@y.test").rcpt.orcpt, "rfc822;Bob+Tag@y.test");
  EXPECT_EQ(ok("RCPT TO:<b@y.test> ORCPT=utf-8;b@y.test").rcpt.orcpt, "utf-8;b@y.test");
  for (const char* bad : {"ORCPT=;b@y.test", "ORCPT=rfc822;", "ORCPT=rfc 822;b", "ORCPT=rfc822;b+4", "ORCPT=rfc822"}) {
    EXPECT_EQ(refused(std::string("RCPT TO:<b@y.test> ") + bad), "501 5.5.4") << bad;
  }
  EXPECT_EQ(refused("RCPT TO:<b@y.test> ORCPT=rfc822;" + std::string(500, 'b')), "501 5.5.4");
}

TEST(Command, Smtputf8ParameterOnlyWidensThatMail) {
  EXPECT_EQ(ok("MAIL FROM:<j\xC3\xB6rg@b\xC3\xBC" "cher.test> SMTPUTF8").path.domain, "b\xC3\xBC" "cher.test");
  EXPECT_EQ(refused("MAIL FROM:<j\xC3@x.test> SMTPUTF8"), "501 5.1.7");  // invalid UTF-8 stays invalid
  EXPECT_EQ(refused("RCPT TO:<j\xC3@x.test>", true), "501 5.1.3");
}

TEST(Command, RcptNeverTakesTheNullPath) {
  EXPECT_EQ(refused("RCPT TO:<>"), "501 5.1.3");
  EXPECT_EQ(ok("RCPT TO:<postmaster>").path.str(), "postmaster");
  EXPECT_EQ(ok("RCPT TO:<POSTMASTER> NOTIFY=NEVER").rcpt.notify, static_cast<uint32_t>(v1::NOTIFY_NEVER));
  EXPECT_EQ(ok("RCPT TO:<postmaster@y.test>").path.domain, "y.test");
}

TEST(Command, ArgumentRulesForOtherVerbs) {
  expect_refusals({{"RSET all", "501 5.5.4"}, {"QUIT now", "501 5.5.4"}});
  EXPECT_EQ(ok("QUIT ").verb, Verb::quit);
  EXPECT_EQ(ok("NOOP anything goes").argument, "anything goes");
  EXPECT_EQ(ok("HELP MAIL").argument, "MAIL");
  EXPECT_EQ(ok("VRFY bob").argument, "bob");
  expect_refusals({{"VRFY", "501 5.5.4"}, {"EXPN ", "501 5.5.4"}});
  EXPECT_EQ(ok("AUTH  LOGIN  ").argument, "LOGIN");
  EXPECT_EQ(ok("AUTH PLAIN =").argument, "PLAIN =");
}

TEST(Xtext, DecodesHexEscapes) {
  EXPECT_EQ(decode_xtext("a+2Bb+3Dc"), "a+b=c");
  EXPECT_FALSE(decode_xtext("a+2"));
  EXPECT_FALSE(decode_xtext("a+2b"));  // lowercase hex is not xtext
  EXPECT_FALSE(decode_xtext("a=b"));
}

TEST(Xtext, EdgeCases) {
  EXPECT_EQ(decode_xtext(""), "");
  EXPECT_EQ(decode_xtext("+41+42"), "AB");
  EXPECT_EQ(decode_xtext("+00"), std::string(1, '\0'));  // decodes; callers check what they allow
  for (const char* bad : {"+", "a b", "a\x7f", "\xC3\xA9", "+G0"}) EXPECT_FALSE(decode_xtext(bad)) << bad;
}

}  // namespace
}  // namespace mailpipe::smtp
