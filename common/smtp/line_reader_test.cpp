#include "common/smtp/line_reader.hpp"

#include <gtest/gtest.h>

namespace mailpipe::smtp {
namespace {

using Status = LineReader::Status;

TEST(LineReader, SplitsOnCrlfOnly) {
  LineReader reader(512);
  reader.append("EHLO a\r\nNOOP\r\n");
  EXPECT_EQ(reader.next().line, "EHLO a");
  EXPECT_EQ(reader.next().line, "NOOP");
  EXPECT_EQ(reader.next().status, Status::incomplete);
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
  LineReader reader(512);
  reader.append("NOOP\nQUIT\r\nRSET\r\n");
  EXPECT_EQ(reader.next().status, Status::bare_newline);
  EXPECT_EQ(reader.next().line, "RSET");
}

TEST(LineReader, BareCrIsInvalid) {
  LineReader reader(512);
  reader.append("NO\rOP\r\n");
  EXPECT_EQ(reader.next().status, Status::bare_newline);
}

TEST(LineReader, NulIsReported) {
  LineReader reader(512);
  reader.append(std::string("NO\0OP\r\nQUIT\r\n", 13));
  EXPECT_EQ(reader.next().status, Status::nul);
  EXPECT_EQ(reader.next().line, "QUIT");
}

TEST(LineReader, LimitCountsTheCrlf) {
  LineReader reader(10);
  reader.append("12345678\r\n");  // 10 with CRLF: fits
  EXPECT_EQ(reader.next().status, Status::complete);
  reader.append("123456789\r\n");  // 11
  EXPECT_EQ(reader.next().status, Status::too_long);
}

TEST(LineReader, OverlongLineIsReportedOnceAndSkipped) {
  LineReader reader(512);
  reader.append(std::string(600, 'x'));
  EXPECT_EQ(reader.next().status, Status::too_long);
  reader.append(std::string(100000, 'y'));
  EXPECT_EQ(reader.next().status, Status::incomplete);
  EXPECT_LT(reader.buffered(), 1024u);  // bounded memory while skipping
  reader.append("zzz\r\nNOOP\r\n");
  EXPECT_EQ(reader.next().line, "NOOP");
}

TEST(LineReader, SkippingSurvivesCrlfSplitAcrossReads) {
  LineReader reader(16);
  reader.append(std::string(40, 'x') + "\r");
  EXPECT_EQ(reader.next().status, Status::too_long);
  reader.append("\nQUIT\r\n");
  EXPECT_EQ(reader.next().line, "QUIT");
}

TEST(LineReader, DiscardsBufferAfterStartTls) {
  LineReader reader(512);
  reader.append("STARTTLS\r\nMAIL FROM:<evil@x.test>\r\n");
  EXPECT_EQ(reader.next().line, "STARTTLS");
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

TEST(LineReader, LongerLimitForAuthResponses) {
  LineReader reader(512);
  reader.set_max_line(12290);
  reader.append(std::string(12000, 'A') + "\r\n");
  EXPECT_EQ(reader.next().status, Status::complete);
}

}  // namespace
}  // namespace mailpipe::smtp
