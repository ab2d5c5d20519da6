// Tests for the reports other than the bounce (RFC 3464 Action delayed,
// delivered, relayed) and for who asks for which (RFC 3461 4.1 NOTIFY).
#include "mta/report_kind.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mailpipe.pb.h"
#include "mta/bounce.hpp"

namespace mailpipe::mta {
namespace {

constexpr uint32_t never = v1::NOTIFY_NEVER, success = v1::NOTIFY_SUCCESS, failure = v1::NOTIFY_FAILURE,
                   delay = v1::NOTIFY_DELAY;

TEST(ReportKindTest, WhoWantsWhichReport) {
  struct Case {
    ReportKind kind;
    uint32_t notify;
    bool wanted;
  };
  const Case cases[] = {
      {ReportKind::failed, 0, true},          {ReportKind::failed, failure, true},
      {ReportKind::failed, success, false},   {ReportKind::failed, never, false},
      {ReportKind::delayed, 0, true},         {ReportKind::delayed, delay, true},
      {ReportKind::delayed, failure, false},  {ReportKind::delayed, success | failure, false},
      {ReportKind::delayed, never, false},    {ReportKind::delivered, 0, false},
      {ReportKind::delivered, success, true}, {ReportKind::delivered, failure | delay, false},
      {ReportKind::relayed, success | failure, true}, {ReportKind::relayed, never | success, false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(wants_report(c.kind, c.notify), c.wanted)
        << report_action(c.kind) << " with NOTIFY bits " << c.notify;
  }
}

BounceInput report(ReportKind kind, uint32_t code, const std::string& enhanced, uint32_t notify) {
  BounceInput in;
  in.kind = kind;
  in.reporting_mta = "mx.example.test";
  in.queue_id = "Q7";
  in.envelope.set_mail_from("alice@example.test");
  in.envelope.set_received_unix_ms(1700000000000);
  in.original_message = "From: alice@example.test\r\nSubject: hello\r\n\r\nsecret body\r\n";
  FailedRecipient r;
  r.address = "bob@remote.test";
  r.notify = notify;
  r.status.set_code(code);
  r.status.set_enhanced(enhanced);
  r.status.set_text("text from the server");
  r.remote_mta = "mx.remote.test";
  in.recipients.push_back(r);
  in.now_unix_ms = 1700003600000;
  in.retry_until_unix_ms = 1700432000000;
  return in;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

TEST(ReportKindTest, DelayedReportSaysItIsRetriedAndUntilWhen) {
  const auto out = make_bounce(report(ReportKind::delayed, 451, "4.4.1", 0), "D1");
  ASSERT_TRUE(out.has_value());
  const std::string& msg = out->message();
  EXPECT_TRUE(contains(msg, "Subject: Delayed Mail (still being retried)\r\n"));
  EXPECT_TRUE(contains(msg, "This is a warning only. You do not need to resend your message."));
  EXPECT_TRUE(contains(msg, "Action: delayed\r\nStatus: 4.4.1\r\n"));
  EXPECT_TRUE(contains(msg, "Will-Retry-Until: "));
  EXPECT_TRUE(contains(msg, "Content-Type: text/rfc822-headers\r\n"));
  EXPECT_TRUE(contains(msg, "Subject: hello"));
  EXPECT_FALSE(contains(msg, "secret body")) << "only a bounce returns the message";
  EXPECT_EQ(out->envelope().mail_from(), "");
}

TEST(ReportKindTest, DeliveredAndRelayedReportsCarryTheSuccessStatus) {
  const auto delivered = make_bounce(report(ReportKind::delivered, 250, "2.0.0", success), "S1");
  ASSERT_TRUE(delivered.has_value());
  EXPECT_TRUE(contains(delivered->message(), "Subject: Successful Mail Delivery Report\r\n"));
  EXPECT_TRUE(contains(delivered->message(), "Action: delivered\r\nStatus: 2.0.0\r\n"));
  EXPECT_FALSE(contains(delivered->message(), "Will-Retry-Until"));
  EXPECT_FALSE(contains(delivered->message(), "secret body"));

  // An MDA's reply without an enhanced code still reports 2.0.0.
  const auto relayed = make_bounce(report(ReportKind::relayed, 250, "", success), "S2");
  ASSERT_TRUE(relayed.has_value());
  EXPECT_TRUE(contains(relayed->message(), "Subject: Relayed Mail Delivery Report\r\n"));
  EXPECT_TRUE(contains(relayed->message(), "Action: relayed\r\nStatus: 2.0.0\r\n"));
  EXPECT_TRUE(contains(relayed->message(), "do not send delivery reports"));
}

TEST(ReportKindTest, NoReportWithoutAskingOrForANullSender) {
  EXPECT_FALSE(make_bounce(report(ReportKind::delivered, 250, "2.0.0", 0), "S3").has_value());
  EXPECT_FALSE(make_bounce(report(ReportKind::delayed, 451, "4.4.1", failure), "D2").has_value());
  BounceInput from_null = report(ReportKind::delayed, 451, "4.4.1", 0);
  from_null.envelope.set_mail_from("");
  EXPECT_FALSE(make_bounce(from_null, "D3").has_value());
}

}  // namespace
}  // namespace mailpipe::mta
