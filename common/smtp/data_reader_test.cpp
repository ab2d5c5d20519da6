#include "common/smtp/data_reader.hpp"

#include <gtest/gtest.h>

#include <random>

namespace mailpipe::smtp {
namespace {

using Status = DataReader::Status;

constexpr DataLimits limits{1'000'000, 1000};

struct Read {
  std::size_t consumed = 0;
  bool finished = false;
  Status status = Status::ok;
  std::string message;
};

Read read_all(std::string_view input, DataLimits l = limits) {
  DataReader reader(l);
  Read out;
  out.consumed = reader.feed(input);
  out.finished = reader.finished();
  out.status = reader.status();
  out.message = reader.take_message();
  return out;
}

TEST(DataReader, EndsAtCrlfDotCrlfAndLeavesTheRest) {
  const auto r = read_all("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_EQ(r.message, "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(r.consumed, std::string("Subject: x\r\n\r\nbody\r\n.\r\n").size());
}

TEST(DataReader, EmptyMessage) {
  const auto r = read_all(".\r\n");
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.message, "");
}

TEST(DataReader, UnstuffsLeadingDots) {
  const auto r = read_all("..one\r\n...\r\n.x\r\n a.\r\n.\r\n");
  EXPECT_EQ(r.message, ".one\r\n..\r\nx\r\n a.\r\n");
}

TEST(DataReader, BareLfDotLfDoesNotEndData) {
  const auto r = read_all("hi\n.\nMAIL FROM:<x@y>\r\n");
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(r.status, Status::bare_newline);
}

TEST(DataReader, CrlfDotLfDoesNotEndData) {
  const auto r = read_all("hi\r\n.\nmore\r\n");
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(r.status, Status::bare_newline);
}

TEST(DataReader, LfDotCrlfDoesNotEndData) {
  const auto r = read_all("hi\n.\r\nmore\r\n");
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(r.status, Status::bare_newline);
}

TEST(DataReader, CrDotCrDoesNotEndData) {
  const auto r = read_all("hi\r.\rmore\r\n");
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(r.status, Status::bare_newline);
}

TEST(DataReader, KeepsReadingAfterAnErrorUntilTheRealEnd) {
  const auto r = read_all("bad\nline\r\n.\r\nNEXT");
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.status, Status::bare_newline);
  EXPECT_EQ(r.consumed, std::string("bad\nline\r\n.\r\n").size());
}

TEST(DataReader, NulIsReported) {
  const auto r = read_all(std::string("a\0b\r\n.\r\n", 8));
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.status, Status::nul);
}

TEST(DataReader, LineLimitCountsCrlf) {
  EXPECT_EQ(read_all(std::string(998, 'x') + "\r\n.\r\n").status, Status::ok);
  EXPECT_EQ(read_all(std::string(999, 'x') + "\r\n.\r\n").status, Status::line_too_long);
}

TEST(DataReader, TooBigStopsStoringButFindsTheEnd) {
  const auto r = read_all(std::string(5000, 'x') + "\r\n.\r\n", DataLimits{100, 100000});
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.status, Status::too_big);
  EXPECT_LE(r.message.size(), 100u);
}

TEST(DataReader, AnySplitGivesTheSameResult) {
  const std::string input = "Subject: t\r\n\r\n..dot\r\nline\r\n.\r\nQUIT\r\n";
  const auto whole = read_all(input);
  std::mt19937 random(42);
  for (int round = 0; round < 200; ++round) {
    DataReader reader(limits);
    std::size_t pos = 0;
    std::size_t consumed = 0;
    while (pos < input.size() && !reader.finished()) {
      const std::size_t chunk = round == 0 ? 1 : 1 + random() % 7;
      const std::string_view piece = std::string_view(input).substr(pos, chunk);
      consumed += reader.feed(piece);
      pos += piece.size();
    }
    ASSERT_TRUE(reader.finished());
    EXPECT_EQ(consumed, whole.consumed);
    EXPECT_EQ(reader.take_message(), whole.message);
  }
}

}  // namespace
}  // namespace mailpipe::smtp
