#include "common/mail/trace_headers.hpp"

#include <gtest/gtest.h>

#include "common/mime/message_date.hpp"

namespace mailpipe::mail {
namespace {

TraceInfo sample_trace() {
  TraceInfo trace;
  trace.helo = "client.example";
  trace.client_address = "127.0.0.1";
  trace.tls_version = "TLSv1.3";
  trace.tls_cipher = "TLS_AES_256_GCM_SHA384";
  trace.hostname = "mx.example.test";
  trace.queue_id = "01ABCDEFGHJKMNPQ";
  trace.when = 1'800'000'000;
  return trace;
}

TEST(TraceHeaders, ReceivedNamesTlsAndQueueId) {
  const std::string header = received_header(sample_trace());
  EXPECT_TRUE(header.starts_with("Received: from client.example ([127.0.0.1])\r\n"
                                 "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n"
                                 "\tby mx.example.test (mailpipe) with ESMTPSA id 01ABCDEFGHJKMNPQ;\r\n\t"));
  EXPECT_TRUE(header.ends_with("\r\n"));
}

TEST(TraceHeaders, HostileHeloCannotBreakTheHeader) {
  TraceInfo trace = sample_trace();
  trace.helo = "evil\r\nBcc: x";
  const std::string header = received_header(trace);
  EXPECT_EQ(header.find("\r\nBcc"), std::string::npos);
  EXPECT_TRUE(header.starts_with("Received: from evil??Bcc:?x ([127.0.0.1])\r\n"));
}

TEST(TraceHeaders, AddsDateAndMessageIdAtEndOfHeaderSection) {
  const std::string message = "Subject: hi\r\nFrom: a@b\r\n\r\nbody\r\n";
  const std::string out = add_trace_headers(message, sample_trace(), "R4ND");
  const std::string expected_tail = "Subject: hi\r\nFrom: a@b\r\nDate: " + mime::rfc5322_date(1'800'000'000) +
                                    "\r\nMessage-ID: <01ABCDEFGHJKMNPQ.R4ND@mx.example.test>\r\n\r\nbody\r\n";
  ASSERT_TRUE(out.starts_with("Received: "));
  EXPECT_TRUE(out.ends_with(expected_tail)) << out;
}

TEST(TraceHeaders, KeepsClientDateAndMessageId) {
  const std::string message = "date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMESSAGE-ID: <x@y>\r\n\r\nbody\r\n";
  const std::string out = add_trace_headers(message, sample_trace(), "R");
  EXPECT_TRUE(out.ends_with(message));
  EXPECT_EQ(out.find("Date: "), std::string::npos);
}

TEST(TraceHeaders, HeaderNamesInBodyDoNotCount) {
  const std::string message = "Subject: hi\r\n\r\nDate: not a header\r\nMessage-ID: nor this\r\n";
  EXPECT_FALSE(has_header(message, "Date"));
  EXPECT_FALSE(has_header(message, "Message-ID"));
}

TEST(TraceHeaders, FieldNameMustBeWholeName) {
  EXPECT_FALSE(has_header("Dates: x\r\n\r\n", "Date"));
  EXPECT_TRUE(has_header("Date: x\r\n\r\n", "Date"));
}

TEST(TraceHeaders, MessageWithoutBodyGetsHeadersAppended) {
  const std::string out = add_trace_headers("Subject: hi", sample_trace(), "R");
  EXPECT_NE(out.find("Subject: hi\r\nDate: "), std::string::npos);
}

TEST(TraceHeaders, MessageWithoutHeadersGetsAHeaderSection) {
  const std::string out = add_trace_headers("\r\nbody\r\n", sample_trace(), "R");
  EXPECT_TRUE(out.ends_with(">\r\n\r\nbody\r\n"));
}

TEST(TraceHeaders, ReceivedProtocolFollowsRfc3848AndRfc6531) {
  EXPECT_EQ(received_protocol(false, false, false, false), "SMTP");
  EXPECT_EQ(received_protocol(true, false, false, false), "ESMTP");
  EXPECT_EQ(received_protocol(true, true, false, false), "ESMTPS");
  EXPECT_EQ(received_protocol(true, true, true, false), "ESMTPSA");
  EXPECT_EQ(received_protocol(true, false, false, true), "UTF8SMTP");
  EXPECT_EQ(received_protocol(true, true, true, true), "UTF8SMTPSA");
}

TEST(TraceHeaders, CountsReceivedFieldsWhateverTheirCase) {
  EXPECT_EQ(count_received_headers("Received: a\r\nreceived: b\r\nRECEIVED: c\r\nSubject: x\r\n\r\nbody\r\n", 50), 3u);
  EXPECT_EQ(count_received_headers("Subject: x\r\n\r\nbody\r\n", 50), 0u);
  EXPECT_EQ(count_received_headers("", 50), 0u);
}

TEST(TraceHeaders, CountsReceivedFieldsOfOurOwnTraceHeader) {
  const std::string ours = add_trace_headers("Received: from a\r\nSubject: x\r\n\r\nbody\r\n", sample_trace(), "R");
  EXPECT_EQ(count_received_headers(ours, 50), 2u);
}

TEST(TraceHeaders, FoldedReceivedFieldIsOneField) {
  // RFC 5322 2.2.3: a line starting with white space continues the field.
  const std::string message = "Received: from a\r\n by b\r\n\tReceived: not a field\r\n Received: nor this\r\n\r\n";
  EXPECT_EQ(count_received_headers(message, 50), 1u);
}

TEST(TraceHeaders, OtherFieldsNamedLikeReceivedDoNotCount) {
  EXPECT_EQ(count_received_headers("Received-SPF: pass\r\nX-Received: by x\r\nReceivedx: y\r\n\r\n", 50), 0u);
  EXPECT_EQ(count_received_headers("Received\r\nReceived by x\r\n\r\n", 50), 0u);  // no colon: no field
}

TEST(TraceHeaders, ReceivedWithWhiteSpaceBeforeTheColonCounts) {
  // RFC 5322 4.5: the obsolete syntax a receiver must still accept.
  EXPECT_EQ(count_received_headers("Received : a\r\nReceived\t: b\r\n\r\n", 50), 2u);
}

TEST(TraceHeaders, ReceivedInTheBodyDoesNotCount) {
  EXPECT_EQ(count_received_headers("Received: a\r\n\r\nReceived: b\r\nReceived: c\r\n", 50), 1u);
  EXPECT_EQ(count_received_headers("\r\nReceived: b\r\n", 50), 0u);  // no header section at all
}

TEST(TraceHeaders, ReceivedWithoutABodyOrFinalCrlfCounts) {
  EXPECT_EQ(count_received_headers("Received: a\r\nReceived: b", 50), 2u);
  EXPECT_EQ(count_received_headers("Received: a\r\n", 50), 1u);
}

TEST(TraceHeaders, CountingReceivedStopsAtLimitPlusOne) {
  std::string message;
  for (int i = 0; i < 1000; ++i) message += "Received: from hop\r\n";
  EXPECT_EQ(count_received_headers(message + "\r\nbody\r\n", 50), 51u);
  EXPECT_EQ(count_received_headers(message + "\r\nbody\r\n", 0), 1u);
  EXPECT_EQ(count_received_headers(message + "\r\nbody\r\n", 5000), 1000u);
}

TEST(TraceHeaders, CountsReceivedExactlyUpToOneBeyondTheLimit) {
  std::string fifty;
  for (int i = 0; i < 50; ++i) fifty += "Received: from hop\r\n";
  EXPECT_EQ(count_received_headers(fifty + "\r\n", 50), 50u);
  EXPECT_EQ(count_received_headers(fifty + "Received: one more\r\n\r\n", 50), 51u);
}

}  // namespace
}  // namespace mailpipe::mail
