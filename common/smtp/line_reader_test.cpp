#include "common/smtp/line_reader.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace mailpipe::smtp {
namespace {

using Status = LineReader::Status;
// (status, line) for each line next() gives; the line is empty unless complete.
using Results = std::vector<std::pair<Status, std::string>>;

// Every result until the input is used up, feeding it in the given pieces.
Results results(std::string_view input, std::size_t max_line, const std::vector<std::size_t>& pieces) {
  LineReader reader(max_line);
  Results out;
  std::size_t pos = 0;
  for (std::size_t piece : pieces) {
    reader.append(input.substr(pos, piece));
    pos += piece;
    for (auto r = reader.next(); r.status != Status::incomplete; r = reader.next()) {
      out.emplace_back(r.status, r.line);
    }
  }
  return out;
}

// Every result for `input` appended in one read.
Results results(std::string_view input, std::size_t max_line = 512) { return results(input, max_line, {input.size()}); }

// A reader that has taken `input`, too long for `max_line`, and said so.
LineReader reader_skipping(std::size_t max_line, const std::string& input) {
  LineReader reader(max_line);
  reader.append(input);
  EXPECT_EQ(reader.next().status, Status::too_long);
  return reader;
}

// A reader that has taken `input` and returned its first line, STARTTLS.
LineReader reader_after_starttls(std::string_view input) {
  LineReader reader(512);
  reader.append(input);
  EXPECT_EQ(reader.next().line, "STARTTLS");
  return reader;
}

TEST(LineReader, SplitsOnCrlfOnly) {
  EXPECT_EQ(results("EHLO a\r\nNOOP\r\n"), (Results{{Status::complete, "EHLO a"}, {Status::complete, "NOOP"}}));
}

TEST(LineReader, WaitsForTheLfAfterACrAtTheEndOfARead) {
  LineReader reader(512);
  reader.append("NOOP\r");
  EXPECT_EQ(reader.next().status, Status::incomplete);
  reader.append("\n");
  const auto result = reader.next();
  EXPECT_EQ(result.status, Status::complete);
  EXPECT_EQ(result.line, "NOOP");
}

TEST(LineReader, ByteByByteGivesTheSameLines) {
  LineReader reader(512);
  const std::string input = "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n";
  std::vector<std::string> lines;
  for (char c : input) {
    reader.append(std::string_view(&c, 1));
    for (auto r = reader.next(); r.status == Status::complete; r = reader.next()) lines.push_back(r.line);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"MAIL FROM:<a@b>", "RCPT TO:<c@d>"}));
}

TEST(LineReader, BareLfMakesTheLineInvalidNotTwoLines) {
  EXPECT_EQ(results("NOOP\nQUIT\r\nRSET\r\n"), (Results{{Status::bare_newline, ""}, {Status::complete, "RSET"}}));
}

TEST(LineReader, BareCrIsInvalid) { EXPECT_EQ(results("NO\rOP\r\n"), (Results{{Status::bare_newline, ""}})); }

TEST(LineReader, NulIsReported) {
  EXPECT_EQ(results(std::string("NO\0OP\r\nQUIT\r\n", 13)), (Results{{Status::nul, ""}, {Status::complete, "QUIT"}}));
}

TEST(LineReader, LimitCountsTheCrlf) {
  LineReader reader(10);
  reader.append("12345678\r\n");  // 10 with CRLF: fits
  EXPECT_EQ(reader.next().status, Status::complete);
  reader.append("123456789\r\n");  // 11
  EXPECT_EQ(reader.next().status, Status::too_long);
}

TEST(LineReader, OverlongLineIsReportedOnceAndSkipped) {
  LineReader reader = reader_skipping(512, std::string(600, 'x'));
  reader.append(std::string(100000, 'y'));
  EXPECT_EQ(reader.next().status, Status::incomplete);
  EXPECT_LT(reader.buffered(), 1024u);  // bounded memory while skipping
  reader.append("zzz\r\nNOOP\r\n");
  EXPECT_EQ(reader.next().line, "NOOP");
}

TEST(LineReader, SkippingSurvivesCrlfSplitAcrossReads) {
  LineReader reader = reader_skipping(16, std::string(40, 'x') + "\r");
  reader.append("\nQUIT\r\n");
  EXPECT_EQ(reader.next().line, "QUIT");
}

TEST(LineReader, DiscardsBufferAfterStartTls) {
  LineReader reader = reader_after_starttls("STARTTLS\r\nMAIL FROM:<evil@x.test>\r\n");
  EXPECT_GT(reader.buffered(), 0u);
  reader.discard_buffered();
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_EQ(reader.next().status, Status::incomplete);
}

TEST(LineReader, TakeBufferedHandsOverTheRest) {
  LineReader reader(512);
  reader.append("DATA\r\nSubject: x\r\n");
  EXPECT_EQ(reader.next().line, "DATA");
  EXPECT_EQ(reader.take_buffered(), "Subject: x\r\n");
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(LineReader, AnySplitGivesTheSameResults) {
  const std::string input = std::string("EHLO a\r\nNO\nOP\r\n") + std::string(40, 'x') + "\r\nQ\rUIT\r\n" +
                            std::string("A\0B\r\n", 5) + std::string(30, 'y') + "\r\r\nRSET\r\nNOOP\r\n\r\n";
  const auto whole = results(input, 24);
  const Results expected = {
      {Status::complete, "EHLO a"}, {Status::bare_newline, ""}, {Status::too_long, ""},
      {Status::bare_newline, ""},   {Status::nul, ""},          {Status::too_long, ""},
      {Status::complete, "RSET"},   {Status::complete, "NOOP"}, {Status::complete, ""}};
  EXPECT_EQ(whole, expected);
  std::mt19937 random(7);
  for (int round = 0; round < 300; ++round) {
    std::vector<std::size_t> pieces;
    for (std::size_t left = input.size(); left > 0;) {
      const std::size_t piece = std::min<std::size_t>(left, round == 0 ? 1 : 1 + random() % 29);
      pieces.push_back(piece);
      left -= piece;
    }
    ASSERT_EQ(results(input, 24, pieces), expected) << "round " << round;
  }
}

TEST(LineReader, EmptyLineIsComplete) { EXPECT_EQ(results("\r\n"), (Results{{Status::complete, ""}})); }

TEST(LineReader, LfCrIsNotALineEnd) { EXPECT_EQ(results("NOOP\n\rQUIT\r\n"), (Results{{Status::bare_newline, ""}})); }

TEST(LineReader, CrCrLfIsABareCrThenTheEnd) {
  EXPECT_EQ(results("NOOP\r\r\nQUIT\r\n"), (Results{{Status::bare_newline, ""}, {Status::complete, "QUIT"}}));
}

TEST(LineReader, HiddenCommandAfterBareLfIsNeverReturned) {
  EXPECT_EQ(results("RSET\nMAIL FROM:<evil@x.test>\r\nNOOP\r\n"),
            (Results{{Status::bare_newline, ""}, {Status::complete, "NOOP"}}));
}

TEST(LineReader, OverlongLineIsReportedBeforeItsEndArrives) {
  LineReader reader(10);
  reader.append("123456789");  // with CRLF it will be 11
  EXPECT_TRUE(reader.has_complete_line());
  EXPECT_EQ(reader.next().status, Status::too_long);
  EXPECT_EQ(reader.next().status, Status::incomplete);
  reader.append("\r\nNOOP\r\n");
  EXPECT_EQ(reader.next().line, "NOOP");
}

TEST(LineReader, LineAtTheLimitWaitsForItsLf) {
  LineReader reader(10);
  reader.append("12345678\r");  // exactly 10 once the LF comes
  EXPECT_FALSE(reader.has_complete_line());
  EXPECT_EQ(reader.next().status, Status::incomplete);
  reader.append("\n");
  EXPECT_EQ(reader.next().line, "12345678");
}

TEST(LineReader, SkippingKeepsMemoryBoundedWithoutCallsToNext) {
  LineReader reader = reader_skipping(512, std::string(600, 'x'));
  for (int i = 0; i < 1000; ++i) reader.append(std::string(4096, 'y'));  // 4 MiB, never buffered
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_FALSE(reader.has_complete_line());
  reader.append("y\r\nQUIT\r\n");
  EXPECT_TRUE(reader.has_complete_line());
  EXPECT_EQ(reader.next().line, "QUIT");
}

TEST(LineReader, SkippingDoesNotEndAtABareLf) {
  LineReader reader = reader_skipping(16, std::string(40, 'x'));
  reader.append("\nRSET\n\r");
  reader.append("xx\r");
  reader.append("\nNOOP\r\n");
  EXPECT_EQ(reader.next().line, "NOOP");
  EXPECT_EQ(reader.next().status, Status::incomplete);
}

TEST(LineReader, HasCompleteLineTracksPipelinedBatches) {
  LineReader reader(512);
  EXPECT_FALSE(reader.has_complete_line());
  reader.append("MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDA");
  EXPECT_TRUE(reader.has_complete_line());
  EXPECT_EQ(reader.next().status, Status::complete);
  EXPECT_TRUE(reader.has_complete_line());
  EXPECT_EQ(reader.next().status, Status::complete);
  EXPECT_FALSE(reader.has_complete_line());
  EXPECT_EQ(reader.next().status, Status::incomplete);
  reader.append("TA\r");
  EXPECT_FALSE(reader.has_complete_line());
  reader.append("\n");
  EXPECT_TRUE(reader.has_complete_line());
  EXPECT_EQ(reader.next().line, "DATA");
}

TEST(LineReader, HasCompleteLineCountsBrokenLinesToo) {
  LineReader reader(512);
  reader.append("NO\nOP\r\n");
  EXPECT_TRUE(reader.has_complete_line());
  EXPECT_EQ(reader.next().status, Status::bare_newline);
  EXPECT_FALSE(reader.has_complete_line());
}

TEST(LineReader, DiscardAfterStartTlsAlsoDropsAPartialLine) {
  LineReader reader = reader_after_starttls("STARTTLS\r\nRCPT TO:<x@y.test>\r\nMAIL FR");
  EXPECT_EQ(reader.buffered(), std::string("RCPT TO:<x@y.test>\r\nMAIL FR").size());
  reader.discard_buffered();
  // What arrives after the handshake starts a fresh line.
  reader.append("EHLO again\r\n");
  EXPECT_EQ(reader.next().line, "EHLO again");
}

TEST(LineReader, TakeBufferedAfterNextKeepsPartialBytes) {
  LineReader reader(512);
  reader.append("DATA\r\n");
  EXPECT_EQ(reader.next().line, "DATA");
  EXPECT_EQ(reader.next().status, Status::incomplete);
  reader.append("Subj");
  EXPECT_EQ(reader.next().status, Status::incomplete);
  EXPECT_EQ(reader.take_buffered(), "Subj");
  reader.append("NOOP\r\n");
  EXPECT_EQ(reader.next().line, "NOOP");
}

TEST(LineReader, LongerLimitForAuthResponses) {
  LineReader reader(512);
  reader.set_max_line(12290);
  reader.append(std::string(12000, 'A') + "\r\n");
  EXPECT_EQ(reader.next().status, Status::complete);
}

}  // namespace
}  // namespace mailpipe::smtp
