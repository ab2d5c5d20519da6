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

struct StatusCase {
  std::string input;
  Status status;
  DataLimits data_limits = limits;
};

// The status each input ends with, read in one feed.
void expect_statuses(std::initializer_list<StatusCase> cases) {
  for (const auto& [input, status, l] : cases) {
    EXPECT_EQ(read_all(input, l).status, status) << testing::PrintToString(input);
  }
}

// The message each input gives, read in one feed.
void expect_messages(std::initializer_list<std::pair<std::string, std::string>> cases) {
  for (const auto& [input, message] : cases) {
    EXPECT_EQ(read_all(input).message, message) << testing::PrintToString(input);
  }
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

TEST(DataReader, EndMarkerWithABareLfOrCrDoesNotEndData) {
  // LF.LF, CRLF.LF, LF.CRLF, CR.CR
  for (const char* input :
       {"hi\n.\nMAIL FROM:<x@y>\r\n", "hi\r\n.\nmore\r\n", "hi\n.\r\nmore\r\n", "hi\r.\rmore\r\n"}) {
    const auto r = read_all(input);
    EXPECT_FALSE(r.finished) << testing::PrintToString(input);
    EXPECT_EQ(r.status, Status::bare_newline) << testing::PrintToString(input);
  }
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
  expect_statuses({
      {std::string(998, 'x') + "\r\n.\r\n", Status::ok},
      {std::string(999, 'x') + "\r\n.\r\n", Status::line_too_long},
  });
}

TEST(DataReader, TooBigStopsStoringButFindsTheEnd) {
  const auto r = read_all(std::string(5000, 'x') + "\r\n.\r\n", DataLimits{100, 100000});
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.status, Status::too_big);
  EXPECT_LE(r.message.size(), 100u);
}

TEST(DataReader, DotCrLfAtTheVeryStartEndsData) {
  const auto r = read_all(".\r\nMAIL FROM:<a@b>\r\n");
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.consumed, 3u);
  EXPECT_EQ(r.message, "");
}

TEST(DataReader, EmptyLinesAndDotOnlyLines) {
  expect_messages({{"\r\n\r\n.\r\n", "\r\n\r\n"}, {"..\r\n.\r\n", ".\r\n"}, {"a\r\n..\r\n.\r\n", "a\r\n.\r\n"}});
}

TEST(DataReader, DotInsideALineIsKept) {
  EXPECT_EQ(read_all("a.b\r\n x\r\n.\r\n").message, "a.b\r\n x\r\n");
  EXPECT_EQ(read_all("a\r\n.\r\r\n.\r\n").status, Status::bare_newline);  // ".\r\r\n" is not the end
}

TEST(DataReader, CrCrLfDotCrLfEndsAfterTheBareCr) {
  const auto r = read_all("a\r\r\n.\r\nQUIT\r\n");
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.status, Status::bare_newline);
  EXPECT_EQ(r.consumed, 7u);
}

TEST(DataReader, SmugglingVariantsNeverEndData) {
  // Each hides "MAIL FROM" behind an end marker some other MTA accepts.
  for (const char* marker : {"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r", "\n.\r"}) {
    const std::string input = std::string("Subject: x\r\n\r\nhi") + marker + "MAIL FROM:<evil@x.test>\r\n";
    const auto r = read_all(input);
    EXPECT_FALSE(r.finished) << testing::PrintToString(marker);
    EXPECT_EQ(r.consumed, input.size());
    EXPECT_EQ(r.status, Status::bare_newline) << testing::PrintToString(marker);
  }
}

TEST(DataReader, FinishedReaderConsumesNothingMore) {
  DataReader reader(limits);
  EXPECT_EQ(reader.feed(".\r\n"), 3u);
  EXPECT_TRUE(reader.finished());
  EXPECT_EQ(reader.feed("more\r\n.\r\n"), 0u);
  EXPECT_EQ(reader.feed(""), 0u);
}

TEST(DataReader, EmptyFeedChangesNothing) {
  DataReader reader(limits);
  EXPECT_EQ(reader.feed(""), 0u);
  EXPECT_EQ(reader.feed("a\r"), 2u);
  EXPECT_EQ(reader.feed(""), 0u);
  EXPECT_EQ(reader.feed("\n.\r\n"), 4u);
  EXPECT_TRUE(reader.finished());
  EXPECT_EQ(reader.status(), Status::ok);
  EXPECT_EQ(reader.take_message(), "a\r\n");
}

TEST(DataReader, SizeCountsUnstuffedBytesWithCrlf) {
  // "..a\r\n" is stored as ".a\r\n": 4 bytes.
  expect_statuses({
      {"..a\r\n.\r\n", Status::ok, DataLimits{4, 1000}},
      {"..a\r\n.\r\n", Status::too_big, DataLimits{3, 1000}},
      {"abcd.\r\n", Status::too_big, DataLimits{0, 1000}},
      {".\r\n", Status::ok, DataLimits{0, 1000}},
  });
}

TEST(DataReader, TooBigKeepsMemoryBoundedOverManyFeeds) {
  DataReader reader(DataLimits{1000, 100000});
  const std::string line = std::string(78, 'x') + "\r\n";
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(reader.feed(line), line.size());
  EXPECT_EQ(reader.feed(".\r\n"), 3u);
  EXPECT_TRUE(reader.finished());
  EXPECT_EQ(reader.status(), Status::too_big);
  EXPECT_LE(reader.take_message().size(), 1000u);
}

TEST(DataReader, StuffedDotDoesNotCountTowardsTheLineLimit) {
  // RFC 5321 4.5.3.1.6: the limit is on the text line, before the client's
  // dot-stuffing (4.5.2). The line "." + 997 'x' + CRLF is 1000 octets and
  // goes on the wire as ".." + 997 'x' + CRLF: fits; one more does not.
  expect_statuses({
      {".." + std::string(997, 'x') + "\r\n.\r\n", Status::ok},
      {".." + std::string(998, 'x') + "\r\n.\r\n", Status::line_too_long},
  });
  // One leading dot is removed whatever follows it (4.5.2): "." + 998 'x'
  // is the 1000-octet line 998 'x' + CRLF.
  expect_statuses({
      {"." + std::string(997, 'x') + "\r\n.\r\n", Status::ok},
      {"." + std::string(998, 'x') + "\r\n.\r\n", Status::ok},
      {"." + std::string(999, 'x') + "\r\n.\r\n", Status::line_too_long},
  });
}

TEST(DataReader, LineLimitIsPerLine) {
  std::string input;
  for (int i = 0; i < 100; ++i) input += std::string(998, 'x') + "\r\n";
  EXPECT_EQ(read_all(input + ".\r\n").status, Status::ok);
}

TEST(DataReader, EarliestProblemDecidesTheStatus) {
  expect_statuses({
      {std::string("a\0b\nc\r\n.\r\n", 11), Status::nul},
      {std::string("a\nb\0c\r\n.\r\n", 11), Status::bare_newline},
      {std::string("abcdefghij\0\r\n.\r\n", 16), Status::line_too_long, DataLimits{1000, 10}},
      {std::string("abc\0defghij\r\n.\r\n", 16), Status::nul, DataLimits{1000, 10}},
      {"a\nbcdefghijkl\r\n.\r\n", Status::bare_newline, DataLimits{5, 1000}},
      {"abcdefgh\nijkl\r\n.\r\n", Status::too_big, DataLimits{5, 1000}},
  });
}

// A plain model of the rules, byte by byte, to compare the fast reader with.
Read reference(const std::string& input, DataLimits l) {
  Read out;
  std::size_t end = std::string::npos;
  for (std::size_t p = 0; p + 3 <= input.size(); ++p) {
    const bool line_start = p == 0 || (p >= 2 && input.compare(p - 2, 2, "\r\n") == 0);
    if (line_start && input.compare(p, 3, ".\r\n") == 0) {
      end = p;
      break;
    }
  }
  out.finished = end != std::string::npos;
  out.consumed = out.finished ? end + 3 : input.size();
  std::string content = input.substr(0, out.finished ? end : input.size());
  if (!out.finished) {
    // Bytes whose meaning depends on what comes next are not judged yet:
    // a trailing CR (LF may follow), then a dot opening a line (".\r\n"?).
    if (!content.empty() && content.back() == '\r') content.pop_back();
    const std::size_t n = content.size();
    if (n > 0 && content.back() == '.' && (n == 1 || (n >= 3 && content.compare(n - 3, 2, "\r\n") == 0))) {
      content.pop_back();
    }
  }
  uint64_t error_at = UINT64_MAX;
  auto fail = [&](Status status, uint64_t at) {
    if (at < error_at || (at == error_at && status < out.status)) {
      error_at = at;
      out.status = status;
    }
  };
  uint64_t stored = 0;
  std::size_t line_start = 0;
  for (std::size_t j = 0; j < content.size(); ++j) {
    const char c = content[j];
    const bool crlf = c == '\r' && j + 1 < input.size() && input[j + 1] == '\n';
    const bool lf_of_crlf = c == '\n' && j > 0 && content[j - 1] == '\r';
    if (c == '\0') fail(Status::nul, j);
    if ((c == '\r' && !crlf) || (c == '\n' && !lf_of_crlf)) fail(Status::bare_newline, j);
    const bool stuffed_dot = j == line_start && c == '.';
    // The line so far as stored: without its stuffed dot (RFC 5321 4.5.3.1.6).
    const std::size_t length = j - line_start + 1 - (content[line_start] == '.' ? 1 : 0);
    if (!crlf && !lf_of_crlf && !stuffed_dot && length + 2 > l.max_text_line) fail(Status::line_too_long, j);
    if (!stuffed_dot) {
      if (++stored > l.max_message_bytes) fail(Status::too_big, j);
      if (stored <= l.max_message_bytes) out.message += c;
    }
    if (lf_of_crlf) line_start = j + 1;
  }
  if (out.status == Status::too_big) out.message.resize(std::min<uint64_t>(out.message.size(), l.max_message_bytes));
  return out;
}

Read read_in_pieces(const std::string& input, DataLimits l, std::mt19937& random, std::size_t max_piece) {
  DataReader reader(l);
  Read out;
  std::size_t pos = 0;
  while (pos < input.size() && !reader.finished()) {
    const std::size_t piece = 1 + random() % max_piece;
    out.consumed += reader.feed(std::string_view(input).substr(pos, piece));
    pos += std::min(piece, input.size() - pos);
  }
  out.finished = reader.finished();
  out.status = reader.status();
  out.message = reader.take_message();
  return out;
}

TEST(DataReader, MatchesAPlainModelOnRandomInputSplitAnywhere) {
  const char* atoms[] = {"a", "b", ".", "\r", "\n", "\r\n", "\r\n", "\r\n.", ".\r\n", "..", "xyz"};
  std::mt19937 random(2024);
  for (int round = 0; round < 20000; ++round) {
    std::string input;
    const int atoms_in_input = 1 + static_cast<int>(random() % 24);
    for (int k = 0; k < atoms_in_input; ++k) {
      if (random() % 40 == 0) {
        input += '\0';
      } else {
        input += atoms[random() % std::size(atoms)];
      }
    }
    const DataLimits l{random() % 40, 2 + random() % 12};
    const Read expected = reference(input, l);
    const Read got = read_in_pieces(input, l, random, 1 + random() % 8);
    const auto shown = testing::PrintToString(input) + " limits " + std::to_string(l.max_message_bytes) + "/" +
                       std::to_string(l.max_text_line);
    ASSERT_EQ(got.finished, expected.finished) << shown;
    ASSERT_EQ(got.consumed, expected.consumed) << shown;
    ASSERT_EQ(static_cast<int>(got.status), static_cast<int>(expected.status)) << shown;
    if (got.finished) {
      ASSERT_EQ(got.message, expected.message) << shown;
    }
  }
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
    EXPECT_EQ(reader.status(), whole.status);
    EXPECT_EQ(reader.take_message(), whole.message);
  }
}

TEST(DataReader, ByteAtATimeGivesTheSameStatusForEveryError) {
  const std::string inputs[] = {
      std::string("a\0b\nc\r\n.\r\n", 11), "x\r.\ry\r\n.\r\n", std::string(50, 'l') + "\n\r\n.\r\n",
      "..\r\n" + std::string(30, 'z') + "\r\n.\r\n", "a\r\r\n.\r\n"};
  const DataLimits l{40, 20};
  for (const auto& input : inputs) {
    const auto whole = read_all(input, l);
    DataReader reader(l);
    std::size_t consumed = 0;
    for (char c : input) consumed += reader.feed(std::string_view(&c, 1));
    EXPECT_EQ(consumed, whole.consumed) << testing::PrintToString(input);
    EXPECT_EQ(reader.status(), whole.status) << testing::PrintToString(input);
    EXPECT_EQ(reader.take_message(), whole.message) << testing::PrintToString(input);
  }
}

}  // namespace
}  // namespace mailpipe::smtp
