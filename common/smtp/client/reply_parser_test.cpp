#include "common/smtp/client/reply_parser.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/smtp/address.hpp"

namespace mailpipe::smtp::client {
namespace {

// "250 [2.1.0] Ok", "need more" or "error: why"; `with_why` false drops the
// why, which names what was in the buffer and so depends on the reads.
std::string describe(const ReplyStep& step, bool with_why = true) {
  if (const Reply* reply = std::get_if<Reply>(&step)) {
    return std::to_string(reply->code) + " [" + reply->enhanced + "] " + reply->text;
  }
  if (const ReplyError* error = std::get_if<ReplyError>(&step)) return with_why ? "error: " + error->text : "error";
  return "need more";
}

bool is_error(const ReplyStep& step) { return std::holds_alternative<ReplyError>(step); }
bool is_need_more(const ReplyStep& step) { return std::holds_alternative<NeedMore>(step); }

// The first step for `input` fed in one read.
ReplyStep first_step(std::string_view input, ReplyLimits limits = {}) {
  ReplyParser parser(limits);
  parser.feed(input);
  return parser.next();
}

// The reply `input` makes in one read; a failure (and code 0) if it makes
// none.
Reply reply_of(std::string_view input, ReplyLimits limits = {}) {
  const ReplyStep step = first_step(input, limits);
  if (const Reply* reply = std::get_if<Reply>(&step)) return *reply;
  ADD_FAILURE() << "no reply for \"" << input << "\": " << describe(step);
  return Reply{};
}

// Every step for `input` read in pieces of `piece` octets, as the stream
// does it: next() after each read until it needs more or fails. The last
// entry is "need more" or "error".
std::vector<std::string> steps_of(std::string_view input, std::size_t piece, ReplyLimits limits = {}) {
  ReplyParser parser(limits);
  std::vector<std::string> steps;
  std::size_t fed = 0;
  while (true) {
    const ReplyStep step = parser.next();
    if (std::holds_alternative<Reply>(step)) {
      steps.push_back(describe(step));
      continue;
    }
    if (is_error(step) || fed == input.size()) {
      steps.push_back(describe(step, false));
      return steps;
    }
    const std::size_t size = std::min(piece, input.size() - fed);
    parser.feed(input.substr(fed, size));
    fed += size;
  }
}

// The reply `line` (ending in CR) makes when its LF comes in a second
// read; the first read must leave the parser needing more.
std::string reply_with_lf_in_second_read(std::string_view line, ReplyLimits limits = {}) {
  ReplyParser parser(limits);
  parser.feed(line);
  EXPECT_TRUE(is_need_more(parser.next())) << line;
  parser.feed("\n");
  return describe(parser.next());
}

std::string continuation_lines(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += "250-line " + std::to_string(i) + "\r\n";
  return out;
}

// --- The shape of a reply (RFC 5321 4.2) -----------------------------------

TEST(ReplyParser, ParsesOneLineReply) {
  const Reply reply = reply_of("220 mx.example.test ESMTP ready\r\n");
  EXPECT_EQ(reply.code, 220);
  EXPECT_EQ(reply.enhanced, "");
  EXPECT_EQ(reply.text, "mx.example.test ESMTP ready");
}

TEST(ReplyParser, JoinsMultiLineTextsWithNewline) {
  const Reply reply = reply_of("250-mx.example.test Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n");
  EXPECT_EQ(reply.code, 250);
  EXPECT_EQ(reply.text, "mx.example.test Hello\nPIPELINING\nSIZE 10240000\nSTARTTLS");
}

TEST(ReplyParser, KeepsEmptyFirstLineOfMultiLineReply) {
  const std::pair<const char*, const char*> cases[] = {
      {"250-\r\n250 SIZE\r\n", "\nSIZE"}, {"250-\r\n250\r\n", "\n"}, {"250-a\r\n250-\r\n250 b\r\n", "a\n\nb"}};
  for (const auto& [input, text] : cases) EXPECT_EQ(reply_of(input).text, text) << input;
}

TEST(ReplyParser, AcceptsEmptyText) {
  for (const std::string_view input : {"250\r\n", "250 \r\n"}) {
    const Reply reply = reply_of(input);
    EXPECT_EQ(reply.code, 250) << input;
    EXPECT_EQ(reply.text, "") << input;
    EXPECT_EQ(reply.enhanced, "") << input;
  }
}

TEST(ReplyParser, SplitsEnhancedCodeOfMatchingClass) {
  const struct {
    const char* input;
    const char* enhanced;
    const char* text;
  } cases[] = {
      {"250 2.1.0 Ok\r\n", "2.1.0", "Ok"},
      {"550 5.1.1 <bob@example.test>: no such user\r\n", "5.1.1", "<bob@example.test>: no such user"},
      {"250 2.0.0\r\n", "2.0.0", ""},
      {"451 4.123.456 busy\r\n", "4.123.456", "busy"},
  };
  for (const auto& [input, enhanced, text] : cases) {
    const Reply reply = reply_of(input);
    EXPECT_EQ(reply.enhanced, enhanced) << input;
    EXPECT_EQ(reply.text, text) << input;
  }
}

TEST(ReplyParser, KeepsEnhancedCodeOfOtherClassInText) {
  const Reply reply = reply_of("250 5.1.0 x\r\n");
  EXPECT_EQ(reply.enhanced, "");
  EXPECT_EQ(reply.text, "5.1.0 x");
}

TEST(ReplyParser, KeepsTextThatOnlyLooksLikeAnEnhancedCode) {
  for (const std::string_view text : {"2.1 x", "2.1.0x", "2..0 x", "2.1. x", "2.1234.0 x", "2.1.0000 x", "2-1-0 x"}) {
    const Reply reply = reply_of("250 " + std::string(text) + "\r\n");
    EXPECT_EQ(reply.enhanced, "") << text;
    EXPECT_EQ(reply.text, text);
  }
}

// RFC 3463 2: class is "2" / "4" / "5"; there is no class 3, and
// Reply::from_status drops such a code, so the parser should not make one.
TEST(ReplyParser, DoesNotSplitEnhancedCodeOfClassThree) {
  const Reply reply = reply_of("354 3.0.0 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(reply.enhanced, "");
  EXPECT_EQ(reply.text, "3.0.0 End data with <CR><LF>.<CR><LF>");
}

// --- Malformed replies end the connection -------------------------------------

TEST(ReplyParser, RejectsCodeChangingMidReply) {
  const ReplyStep step = first_step("250-a\r\n251 b\r\n");
  ASSERT_TRUE(is_error(step)) << describe(step);
  EXPECT_NE(std::get<ReplyError>(step).text.find("250 to 251"), std::string::npos) << describe(step);
}

TEST(ReplyParser, RejectsLetterInCode) { EXPECT_TRUE(is_error(first_step("25O ok\r\n"))); }

TEST(ReplyParser, RejectsFourDigitCode) { EXPECT_TRUE(is_error(first_step("2500 ok\r\n"))); }

TEST(ReplyParser, RejectsCodeOutsideTwoToFive) {
  for (const std::string_view input : {"199 x\r\n", "600 x\r\n", "099 x\r\n", "100 x\r\n", "999 x\r\n"}) {
    EXPECT_TRUE(is_error(first_step(input))) << input;
  }
}

TEST(ReplyParser, RejectsShortOrEmptyLine) {
  for (const std::string_view input : {"\r\n", "2\r\n", "25\r\n", " 250 x\r\n", "250_x\r\n"}) {
    EXPECT_TRUE(is_error(first_step(input))) << input;
  }
}

TEST(ReplyParser, RejectsGarbageLineBeforeItsCrlf) {
  // Fails on what came, without waiting for a CRLF, the length limit or
  // the timeout.
  for (const std::string_view input : {"HTTP/1.1 400 Bad Request", "<html>", "25O", "2500", "250x", "6", "1"}) {
    EXPECT_TRUE(is_error(first_step(input))) << input;
  }
  ReplyParser parser;
  parser.feed("250-a\r\nSSH-2.0-OpenSSH");
  EXPECT_TRUE(is_error(parser.next()));
}

TEST(ReplyParser, RejectsBareLf) {
  for (const std::string_view input : {"250 ok\n", "250 ok\n250 ok\r\n", "250-ok\n250 ok\r\n"}) {
    EXPECT_TRUE(is_error(first_step(input))) << input;
  }
}

TEST(ReplyParser, RejectsBareCrInsideLine) {
  // The last is before any CRLF.
  for (const std::string_view input : {"250 o\rk\r\n", "250 ok\r250 forged\r\n", "250 ok\r\r\n", "250 o\rk"}) {
    EXPECT_TRUE(is_error(first_step(input))) << input;
  }
}

TEST(ReplyParser, WaitsForLfAfterCrAtEndOfInput) { EXPECT_EQ(reply_with_lf_in_second_read("250 ok\r"), "250 [] ok"); }

TEST(ReplyParser, LineThatEndsBeforeItsCodeFailsAtItsCr) {
  // The CR may be half of a CRLF: the line is then whole, and "" or "25"
  // can never be a reply line (found by fuzz_reply_parser).
  for (const char* bytes : {"\r", "25\r", "250-ok\r\n\r"}) {
    ReplyParser parser;
    parser.feed(bytes);
    ReplyStep step = parser.next();
    if (std::holds_alternative<Reply>(step)) step = parser.next();
    EXPECT_TRUE(std::holds_alternative<ReplyError>(step)) << bytes;
  }
}

// --- Limits ---------------------------------------------------------------------

TEST(ReplyParser, AcceptsReplyOfMaxLines) {
  const Reply reply = reply_of(continuation_lines(99) + "250 last\r\n");
  EXPECT_EQ(reply.code, 250);
  EXPECT_EQ(std::count(reply.text.begin(), reply.text.end(), '\n'), 99);
}

TEST(ReplyParser, RejectsReplyOfMoreThanMaxLines) {
  EXPECT_TRUE(is_error(first_step(continuation_lines(100) + "250 last\r\n")));
  EXPECT_TRUE(is_error(first_step("250-a\r\n250-b\r\n250 c\r\n", {.max_line = 4096, .max_lines = 2})));
}

TEST(ReplyParser, RejectsContinuationThatNeverEndsAtMaxLines) {
  // No final line comes: the error is at line 100, not at the timeout.
  ReplyParser parser;
  for (std::size_t i = 0; i < 99; ++i) {
    parser.feed(continuation_lines(1));
    ASSERT_TRUE(is_need_more(parser.next())) << "line " << i + 1;
  }
  parser.feed(continuation_lines(1));
  EXPECT_TRUE(is_error(parser.next()));
}

TEST(ReplyParser, AcceptsLineOfExactlyMaxLine) {
  const ReplyLimits limits{.max_line = 64, .max_lines = 100};
  const std::string line = "250 " + std::string(64 - 6, 'a') + "\r\n";  // 64 octets with CRLF
  ASSERT_EQ(line.size(), 64u);
  EXPECT_EQ(reply_of(line, limits).text, std::string(58, 'a'));
  EXPECT_TRUE(is_error(first_step("250 " + std::string(59, 'a') + "\r\n", limits)));
}

// The CR and the LF of a line can come in two reads (TCP decides): a line
// of exactly max_line octets is as good then as in one read.
TEST(ReplyParser, AcceptsLineOfExactlyMaxLineWithCrAndLfInTwoReads) {
  const ReplyLimits limits{.max_line = 64, .max_lines = 100};
  const std::string text(58, 'a');
  EXPECT_EQ(reply_with_lf_in_second_read("250 " + text + "\r", limits), "250 [] " + text);
}

TEST(ReplyParser, RejectsMegabyteLineAsSoonAsItIsOverMaxLine) {
  // 1 MB without CRLF, read 4 KiB at a time: the error comes by the second
  // read, not after buffering the megabyte.
  const std::string line = "250 " + std::string(1 << 20, 'a');
  ReplyParser parser;  // max_line 4096
  std::size_t reads = 0;
  ReplyStep step = NeedMore{};
  for (std::size_t pos = 0; pos < line.size() && is_need_more(step); pos += 4096) {
    parser.feed(std::string_view(line).substr(pos, 4096));
    ++reads;
    step = parser.next();
  }
  EXPECT_TRUE(is_error(step)) << describe(step);
  EXPECT_LE(reads, 2u);
  // The error text is an excerpt, not the line.
  EXPECT_LT(std::get<ReplyError>(step).text.size(), 200u);
}

TEST(ReplyParser, WaitsForeverForCrlfOfShortLine) {
  // No CRLF at all: the parser needs more, and the step's timeout ends it.
  ReplyParser parser;
  parser.feed("250 ok");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(is_need_more(parser.next()));
  parser.feed(" still");
  EXPECT_TRUE(is_need_more(parser.next()));
  EXPECT_TRUE(parser.has_buffered());
}

// --- Reads, pipelining, state -----------------------------------------------------

TEST(ReplyParser, ByteByByteFeedingGivesSameResultAsOneFeed) {
  const std::vector<std::string> inputs = {
      "220 mx.example.test ESMTP\r\n",
      "250-mx.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 1000\r\n",
      "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data\r\n",
      "250-\r\n250 SIZE\r\n",
      "250 \r\n221 2.0.0 Bye\r\n",
      "250 ok\r\n250-partial\r\n",
      "451 4.7.1 gr\xfc\xdflisted\r\n",
      "250 ok\r\n25O bad\r\n",
      "250-a\r\n251 b\r\n",
      "250 ok\n",
      "250 ok\r\nHTTP/1.1 200 OK\r\n",
      continuation_lines(101),
  };
  for (const std::string& input : inputs) {
    const std::vector<std::string> whole = steps_of(input, input.size());
    EXPECT_EQ(steps_of(input, 1), whole) << input;
    EXPECT_EQ(steps_of(input, 3), whole) << input;
  }
}

// A bare "CODE" line (RFC 5321 4.2: Reply-line = *( Reply-code "-" [ textstring ]
// CRLF ) Reply-code [ SP textstring ] CRLF) whose CR and LF come in two reads.
TEST(ReplyParser, AcceptsBareCodeWithCrAndLfInTwoReads) {
  EXPECT_EQ(steps_of("250\r\n", 1), steps_of("250\r\n", 5));
  EXPECT_EQ(reply_with_lf_in_second_read("354\r"), "354 [] ");
}

TEST(ReplyParser, ReturnsPipelinedRepliesOneAtATime) {
  ReplyParser parser;
  parser.feed("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(describe(parser.next()), "250 [2.1.0] Ok");
  EXPECT_TRUE(parser.has_buffered());
  EXPECT_EQ(describe(parser.next()), "250 [2.1.5] Ok");
  EXPECT_TRUE(parser.has_buffered());
  EXPECT_EQ(describe(parser.next()), "354 [] End data with <CR><LF>.<CR><LF>");
  EXPECT_FALSE(parser.has_buffered());
  EXPECT_TRUE(is_need_more(parser.next()));
  EXPECT_FALSE(parser.has_buffered());
}

TEST(ReplyParser, HasBufferedCountsPartialLinesAndReplies) {
  ReplyParser parser;
  EXPECT_FALSE(parser.has_buffered());
  parser.feed("25");
  EXPECT_TRUE(parser.has_buffered());
  EXPECT_TRUE(is_need_more(parser.next()));
  EXPECT_TRUE(parser.has_buffered());
  parser.feed("0-first\r\n");
  EXPECT_TRUE(is_need_more(parser.next()));
  EXPECT_TRUE(parser.has_buffered());  // a line of a reply not yet returned
  parser.feed("250 last\r\n");
  EXPECT_EQ(describe(parser.next()), "250 [] first\nlast");
  EXPECT_FALSE(parser.has_buffered());
}

TEST(ReplyParser, ErrorIsFinal) {
  ReplyParser parser;
  parser.feed("250 ok\r\n25O bad\r\n250 fine\r\n");
  EXPECT_EQ(describe(parser.next()), "250 [] ok");
  const ReplyStep error = parser.next();
  ASSERT_TRUE(is_error(error));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(describe(parser.next()), describe(error));
  parser.feed("250 more\r\n");
  EXPECT_EQ(describe(parser.next()), describe(error));
  parser.clear();
  parser.feed("250 after clear\r\n");
  EXPECT_EQ(describe(parser.next()), describe(error));
}

TEST(ReplyParser, ClearDropsBufferedInput) {
  // STARTTLS (CVE-2011-0411): a reply injected before the handshake must
  // not answer the EHLO after it.
  ReplyParser parser;
  parser.feed("220 2.0.0 Ready to start TLS\r\n250-injected\r\n250 forged\r\n");
  EXPECT_EQ(describe(parser.next()), "220 [2.0.0] Ready to start TLS");
  EXPECT_TRUE(parser.has_buffered());
  parser.clear();
  EXPECT_FALSE(parser.has_buffered());
  EXPECT_TRUE(is_need_more(parser.next()));
  parser.feed("250 real\r\n");
  EXPECT_EQ(describe(parser.next()), "250 [] real");
}

TEST(ReplyParser, ClearDropsLinesOfUnfinishedReply) {
  ReplyParser parser;
  parser.feed("250-injected\r\n25");
  EXPECT_TRUE(is_need_more(parser.next()));
  parser.clear();
  EXPECT_FALSE(parser.has_buffered());
  parser.feed("251 real\r\n");  // no "code changes" error, no injected line
  EXPECT_EQ(describe(parser.next()), "251 [] real");
}

// --- Text becomes printable UTF-8 -----------------------------------------------

TEST(ReplyParser, ReplacesInvalidUtf8WithQuestionMarks) {
  const Reply reply = reply_of("451 4.7.1 gr\xfc\xdflisted\r\n");  // Latin-1
  EXPECT_EQ(reply.enhanced, "4.7.1");
  EXPECT_EQ(reply.text, "gr??listed");
  EXPECT_TRUE(valid_utf8(reply.text));
}

TEST(ReplyParser, KeepsValidUtf8) {
  const Reply reply = reply_of("451 4.7.1 gr\xc3\xbc\xc3\x9flisted \xe2\x82\xac \xf0\x9f\x93\xa8\r\n");
  EXPECT_EQ(reply.text, "gr\xc3\xbc\xc3\x9flisted \xe2\x82\xac \xf0\x9f\x93\xa8");  // "grüßlisted € 📨"
}

TEST(ReplyParser, ReplacesControlCharacters) {
  using namespace std::string_literals;
  const Reply reply = reply_of("250 a\0b\x1b[31mred\x7f\tend\r\n"s);
  EXPECT_EQ(reply.text, "a?b?[31mred??end");
}

}  // namespace
}  // namespace mailpipe::smtp::client
