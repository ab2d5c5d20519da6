#include "mda/config/pipe_command.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mda {
namespace {

PlaceholderValues values(const std::string& recipient, const std::string& sender = "alice@remote.test") {
  v1::Envelope envelope;
  envelope.set_mail_from(sender);
  envelope.set_queue_id("01QUEUEID");
  return PlaceholderValues::of(recipient, envelope);
}

TEST(PipeCommand, ExpandsEveryPlaceholderPerRecipient) {
  const ExpandedCommand command =
      expand_command({"/usr/bin/deliver", "-d", "{user}", "--domain={domain}", "{recipient}", "-f", "{sender}",
                      "id:{queue_id}"},
                     values("bob@example.test"));
  ASSERT_FALSE(command.refusal);
  EXPECT_EQ(command.argv, (std::vector<std::string>{"/usr/bin/deliver", "-d", "bob", "--domain=example.test",
                                                    "bob@example.test", "-f", "alice@remote.test",
                                                    "id:01QUEUEID"}));
}

TEST(PipeCommand, DoubledBracesAreLiteralAndNullSenderIsEmpty) {
  const ExpandedCommand command = expand_command({"/bin/x", "{{user}}", "}}{{", "<{sender}>"}, values("b@x.test", ""));
  ASSERT_FALSE(command.refusal);
  EXPECT_EQ(command.argv, (std::vector<std::string>{"/bin/x", "{user}", "}{", "<>"}));
}

TEST(PipeCommand, ValueStartingWithDashRefusesTheRecipient) {
  // "procmail -d {user}" must never see "-oProxy..." as an option.
  const ExpandedCommand command = expand_command({"/usr/bin/procmail", "-d", "{user}"}, values("-evil@example.test"));
  ASSERT_TRUE(command.refusal);
  EXPECT_TRUE(command.argv.empty());
  EXPECT_EQ(command.refusal->code(), 550u);
  EXPECT_EQ(command.refusal->enhanced(), "5.1.3");
  EXPECT_NE(command.refusal->text().find("-evil"), std::string::npos) << command.refusal->text();
  // Even inside an argument: the value itself is what counts.
  EXPECT_TRUE(expand_command({"/bin/x", "--to={recipient}"}, values("-x@example.test")).refusal);
  // A placeholder the command does not use cannot refuse anything.
  EXPECT_FALSE(expand_command({"/bin/x", "{domain}"}, values("-x@example.test")).refusal);
}

TEST(PipeCommand, SenderStartingWithDashIsRefusedWithTheSenderCode) {
  const ExpandedCommand command = expand_command({"/usr/sbin/sendmail", "-f", "{sender}"}, values("b@x.test", "-oQ@evil"));
  ASSERT_TRUE(command.refusal);
  EXPECT_EQ(command.refusal->enhanced(), "5.1.7");
}

TEST(PipeCommand, ControlBytesInValuesAreRefusedAndNotEchoed) {
  const ExpandedCommand command = expand_command({"/bin/x", "{recipient}"}, values(std::string("a\nb\0c@x.test", 12)));
  ASSERT_TRUE(command.refusal);
  EXPECT_EQ(command.refusal->enhanced(), "5.1.3");
  EXPECT_EQ(command.refusal->text().find('\n'), std::string::npos);
  EXPECT_EQ(command.refusal->text().find('\0'), std::string::npos);
}

TEST(PipeCommand, TemplateProblemsAreFoundAtStartUp) {
  for (const char* good : {"{recipient}", "--to={user}@{domain}", "{{literal}}"}) {
    EXPECT_EQ(template_problem(good), "") << good;
  }
  for (const char* bad : {"{rcpt}", "{user", "user}", "{}"}) EXPECT_NE(template_problem(bad), "") << bad;
}

}  // namespace
}  // namespace mailpipe::mda
