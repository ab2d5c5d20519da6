// Tests for the DSN builder (RFC 3464 / RFC 6522): who gets a bounce, what
// the three parts hold, and that nothing from the network can break lines.
#include "mta/bounce.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mailpipe.pb.h"

namespace mailpipe::mta {
namespace {

FailedRecipient failed(std::string address, uint32_t code = 550, std::string enhanced = "5.1.1",
                       std::string text = "User unknown", std::string remote = "mx.remote.test") {
  FailedRecipient r;
  r.address = std::move(address);
  r.status.set_code(code);
  r.status.set_enhanced(std::move(enhanced));
  r.status.set_text(std::move(text));
  r.remote_mta = std::move(remote);
  return r;
}

BounceInput sample_input() {
  BounceInput in;
  in.reporting_mta = "mx.example.test";
  in.queue_id = "Q123";
  in.envelope.set_mail_from("alice@example.test");
  in.envelope.set_received_unix_ms(1700000000000);
  in.envelope.add_recipients()->set_address("bob@remote.test");
  in.original_message =
      "From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: hello\r\n\r\nbody line one\r\nbody line two\r\n";
  in.recipients.push_back(failed("bob@remote.test"));
  in.now_unix_ms = 1700000100000;
  return in;
}

struct Parsed {
  std::string headers;
  std::string boundary;
  std::vector<std::string> parts;  // each with its own headers
};

// A minimal multipart splitter, enough to check our own output.
Parsed parse(const std::string& msg) {
  Parsed p;
  const std::size_t blank = msg.find("\r\n\r\n");
  p.headers = msg.substr(0, blank + 2);
  const std::size_t b = p.headers.find("boundary=\"");
  if (b == std::string::npos) return p;
  const std::size_t e = p.headers.find('"', b + 10);
  p.boundary = p.headers.substr(b + 10, e - b - 10);
  const std::string delim = "\r\n--" + p.boundary;
  std::size_t pos = msg.find(delim, blank);
  while (pos != std::string::npos) {
    const std::size_t start = pos + delim.size();
    if (msg.compare(start, 2, "--") == 0) break;
    const std::size_t next = msg.find(delim, start);
    p.parts.push_back(msg.substr(start + 2, next - start - 2));
    pos = next;
  }
  return p;
}

std::string bounce_text(const BounceInput& in) {
  const auto out = make_bounce(in, "B999");
  return out ? out->message() : std::string();
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

TEST(Bounce, NullSenderGetsNoBounce) {
  BounceInput in = sample_input();
  in.envelope.set_mail_from("");
  EXPECT_FALSE(make_bounce(in, "B1").has_value());
}

TEST(Bounce, NotifyNeverGetsNoBounce) {
  BounceInput in = sample_input();
  in.recipients[0].notify = v1::NOTIFY_NEVER;
  EXPECT_FALSE(make_bounce(in, "B1").has_value());
}

TEST(Bounce, NotifySuccessOnlyGetsNoBounce) {
  BounceInput in = sample_input();
  in.recipients[0].notify = v1::NOTIFY_SUCCESS | v1::NOTIFY_DELAY;
  EXPECT_FALSE(make_bounce(in, "B1").has_value());
}

TEST(Bounce, NoRecipientsGetsNoBounce) {
  BounceInput in = sample_input();
  in.recipients.clear();
  EXPECT_FALSE(make_bounce(in, "B1").has_value());
}

TEST(Bounce, EnvelopeGoesFromNullSenderToOriginalSender) {
  const auto out = make_bounce(sample_input(), "B999");
  ASSERT_TRUE(out.has_value());
  const v1::Envelope& env = out->envelope();
  EXPECT_EQ(env.mail_from(), "");
  ASSERT_EQ(env.recipients_size(), 1);
  EXPECT_EQ(env.recipients(0).address(), "alice@example.test");
  EXPECT_EQ(env.queue_id(), "B999");
  EXPECT_EQ(env.received_unix_ms(), 1700000100000);
  EXPECT_EQ(env.body_type(), v1::BODY_7BIT);
}

TEST(Bounce, MessageHasHeadersAndThreeParts) {
  const std::string msg = bounce_text(sample_input());
  const Parsed p = parse(msg);
  EXPECT_TRUE(contains(p.headers, "From: MAILER-DAEMON@mx.example.test (Mail Delivery System)\r\n"));
  EXPECT_TRUE(contains(p.headers, "To: <alice@example.test>\r\n"));
  EXPECT_TRUE(contains(p.headers, "Subject: Undelivered Mail Returned to Sender\r\n"));
  EXPECT_TRUE(contains(p.headers, "\r\nDate: "));
  EXPECT_TRUE(contains(p.headers, "Message-ID: <B999@mx.example.test>\r\n"));
  EXPECT_TRUE(contains(p.headers, "Auto-Submitted: auto-replied\r\n"));
  EXPECT_TRUE(contains(p.headers, "MIME-Version: 1.0\r\n"));
  EXPECT_TRUE(contains(p.headers, "Content-Type: multipart/report; report-type=delivery-status;"));
  ASSERT_FALSE(p.boundary.empty());
  EXPECT_TRUE(contains(msg, "\r\n--" + p.boundary + "--\r\n"));
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_TRUE(contains(p.parts[0], "Content-Type: text/plain; charset=us-ascii\r\n"));
  EXPECT_TRUE(contains(p.parts[0], "This is the mail system at host mx.example.test."));
  EXPECT_TRUE(contains(p.parts[0], "<bob@remote.test>: host mx.remote.test said: 550 5.1.1 User unknown\r\n"));
  EXPECT_TRUE(contains(p.parts[1], "Content-Type: message/delivery-status\r\n"));
  EXPECT_TRUE(contains(p.parts[2], "Content-Type: message/rfc822\r\n\r\nFrom: alice@example.test\r\n"));
  EXPECT_TRUE(contains(p.parts[2], "body line two\r\n"));
  EXPECT_FALSE(contains(p.parts[2], "Content-Transfer-Encoding"));
}

TEST(Bounce, DeliveryStatusHasPerMessageAndPerRecipientFields) {
  BounceInput in = sample_input();
  in.envelope.set_dsn_envid("ENV-42");
  in.recipients[0].orcpt = "rfc822;Bob@remote.test";
  in.recipients.push_back(failed("carol@nowhere.test", 0, "", "Host or domain name not found", ""));
  const Parsed p = parse(bounce_text(in));
  ASSERT_EQ(p.parts.size(), 3u);
  const std::string& ds = p.parts[1];
  EXPECT_TRUE(contains(ds, "\r\n\r\nReporting-MTA: dns; mx.example.test\r\n"));
  EXPECT_TRUE(contains(ds, "X-Mailpipe-Queue-ID: Q123\r\n"));
  EXPECT_TRUE(contains(ds, "Original-Envelope-Id: ENV-42\r\n"));
  EXPECT_TRUE(contains(ds, "Arrival-Date: "));
  EXPECT_TRUE(contains(ds,
                       "\r\n\r\nOriginal-Recipient: rfc822;Bob@remote.test\r\n"
                       "Final-Recipient: rfc822; bob@remote.test\r\n"
                       "Action: failed\r\n"
                       "Status: 5.1.1\r\n"
                       "Remote-MTA: dns; mx.remote.test\r\n"
                       "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
                       "Last-Attempt-Date: "));
  // The second block: no ORCPT, no remote MTA, no SMTP reply to quote.
  EXPECT_TRUE(contains(ds,
                       "\r\n\r\nFinal-Recipient: rfc822; carol@nowhere.test\r\n"
                       "Action: failed\r\n"
                       "Status: 5.0.0\r\n"
                       "Diagnostic-Code: X-mailpipe; Host or domain name not found\r\n"));
  EXPECT_FALSE(contains(ds, "Original-Recipient: rfc822;carol"));
}

TEST(Bounce, OptionalFieldsLeftOutWhenNotGiven) {
  const Parsed p = parse(bounce_text(sample_input()));
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_FALSE(contains(p.parts[1], "Original-Envelope-Id:"));
  EXPECT_FALSE(contains(p.parts[1], "Original-Recipient:"));
}

TEST(Bounce, StatusDerivedFromBasicCodeWhenEnhancedMissing) {
  BounceInput in = sample_input();
  in.recipients[0] = failed("bob@remote.test", 452, "", "mailbox full");
  in.recipients.push_back(failed("dan@remote.test", 554, "bogus", "no"));
  const std::string msg = bounce_text(in);
  EXPECT_TRUE(contains(msg, "Status: 4.0.0\r\n"));
  EXPECT_TRUE(contains(msg, "Diagnostic-Code: smtp; 452 mailbox full\r\n"));
  EXPECT_TRUE(contains(msg, "Status: 5.0.0\r\n"));
  EXPECT_FALSE(contains(msg, "bogus"));
}

TEST(Bounce, OnlyRecipientsWantingFailureNoticesAreReported) {
  BounceInput in = sample_input();
  in.recipients[0].notify = v1::NOTIFY_NEVER;
  in.recipients.push_back(failed("carol@remote.test"));
  in.recipients.back().notify = v1::NOTIFY_FAILURE | v1::NOTIFY_DELAY;
  const std::string msg = bounce_text(in);
  EXPECT_FALSE(contains(msg, "bob@remote.test>:"));
  EXPECT_FALSE(contains(msg, "Final-Recipient: rfc822; bob@remote.test"));
  EXPECT_TRUE(contains(msg, "Final-Recipient: rfc822; carol@remote.test"));
}

TEST(Bounce, TooBigMessageReturnsHeadersOnly) {
  BounceInput in = sample_input();
  in.max_returned_bytes = 70;
  const Parsed p = parse(bounce_text(in));
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_TRUE(contains(p.parts[2],
                       "Content-Type: text/rfc822-headers\r\n\r\n"
                       "From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: hello\r\n"));
  EXPECT_FALSE(contains(p.parts[2], "body line"));
  EXPECT_TRUE(contains(p.parts[0], "its headers are attached below"));
}

TEST(Bounce, StatusTextInjectionIsNeutralised) {
  BounceInput in = sample_input();
  in.recipients[0].status.set_text("User unknown\r\nX-Injected: yes\r\n\r\n--evil\n\rBcc: x\x01\x1b");
  in.recipients[0].remote_mta = "mx\r\nX-Host: injected";
  in.recipients[0].address = "bob@remote.test\r\nX-Addr: injected";
  in.envelope.set_dsn_envid("E\r\nX-Envid: injected");
  const std::string msg = bounce_text(in);
  EXPECT_FALSE(contains(msg, "\r\nX-Injected"));
  EXPECT_FALSE(contains(msg, "\r\nX-Host"));
  EXPECT_FALSE(contains(msg, "\r\nX-Addr"));
  EXPECT_FALSE(contains(msg, "\r\nX-Envid"));
  EXPECT_FALSE(contains(msg, "\r\n--evil"));
  EXPECT_FALSE(contains(msg, "\r\nBcc"));
  EXPECT_FALSE(contains(msg, "\x01"));
  EXPECT_FALSE(contains(msg, "\x1b"));
  EXPECT_TRUE(contains(msg, "Diagnostic-Code: smtp; 550 5.1.1 User unknown X-Injected: yes --evil Bcc: x\r\n"));
}

void expect_lines_crlf_and_short(const std::string& msg) {
  ASSERT_GE(msg.size(), 2u);
  EXPECT_EQ(msg.substr(msg.size() - 2), "\r\n");
  std::size_t start = 0;
  for (std::size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '\r') {
      ASSERT_TRUE(i + 1 < msg.size() && msg[i + 1] == '\n') << "bare CR at " << i;
    }
    if (msg[i] == '\n') {
      ASSERT_TRUE(i > 0 && msg[i - 1] == '\r') << "bare LF at " << i;
      EXPECT_LE(i - 1 - start, 998u) << "long line at " << start;
      start = i + 1;
    }
  }
}

TEST(Bounce, EveryLineEndsCrlfAndFitsRfc5322) {
  BounceInput in = sample_input();
  in.recipients[0].status.set_text(std::string(5000, 'x') + " " + std::string(300, 'y'));
  in.recipients[0].remote_mta = std::string(1500, 'h');
  in.recipients[0].orcpt = "rfc822;" + std::string(1200, 'o');
  in.envelope.set_dsn_envid(std::string(1100, 'e'));
  const std::string msg = bounce_text(in);
  expect_lines_crlf_and_short(msg);
  EXPECT_TRUE(contains(msg, "Diagnostic-Code: smtp; 550 5.1.1 xxxx"));
}

TEST(Bounce, LongOrBrokenOriginalLinesReturnHeadersOnlySafely) {
  BounceInput in = sample_input();
  in.original_message = "Subject: " + std::string(3000, 's') + "\r\nX-Bare: a\nb\rc\r\n\r\n" +
                        std::string(2000, 'b') + "\r\n";
  const std::string msg = bounce_text(in);
  expect_lines_crlf_and_short(msg);
  const Parsed p = parse(msg);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_TRUE(contains(p.parts[2], "Content-Type: text/rfc822-headers\r\n"));
  EXPECT_FALSE(contains(p.parts[2], "bbbbbbbbbb"));
}

TEST(Bounce, EightBitOriginalIsSent8BitMime) {
  BounceInput in = sample_input();
  in.original_message = "From: alice@example.test\r\nSubject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n";
  const auto out = make_bounce(in, "B999");
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->envelope().body_type(), v1::BODY_8BITMIME);
  const Parsed p = parse(out->message());
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_TRUE(contains(p.parts[2], "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n"));
  EXPECT_TRUE(contains(p.parts[2], "na\xc3\xafve"));
  EXPECT_TRUE(contains(p.headers, "Content-Transfer-Encoding: 8bit\r\n"));
}

TEST(Bounce, BoundaryDoesNotAppearInContent) {
  BounceInput in = sample_input();
  const std::string first = parse(bounce_text(in)).boundary;
  ASSERT_FALSE(first.empty());
  in.original_message += "--" + first + "\r\n" + first + "--\r\n";
  const std::string msg = bounce_text(in);
  const Parsed p = parse(msg);
  EXPECT_NE(p.boundary, first);
  ASSERT_EQ(p.parts.size(), 3u);
  EXPECT_TRUE(contains(p.parts[2], "--" + first + "\r\n"));
}

TEST(Bounce, DateHeaderIsRfc5322WithNumericZone) {
  const Parsed p = parse(bounce_text(sample_input()));
  const std::size_t d = p.headers.find("\r\nDate: ");
  ASSERT_NE(d, std::string::npos);
  const std::string date = p.headers.substr(d + 8, p.headers.find("\r\n", d + 2) - d - 8);
  // "Tue, 14 Nov 2023 22:15:00 +0000"
  ASSERT_EQ(date.size(), 31u) << date;
  EXPECT_EQ(date[3], ',');
  EXPECT_TRUE(date[26] == '+' || date[26] == '-') << date;
  EXPECT_TRUE(contains(date, " 2023 ")) << date;
}

}  // namespace
}  // namespace mailpipe::mta
