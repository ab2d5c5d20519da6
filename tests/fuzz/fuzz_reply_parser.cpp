// Fuzz target: the client's reply reader, smtp::client::ReplyParser (RFC 5321
// 4.2, enhanced codes RFC 3463 / RFC 2034), fed what a hostile server sends.
//
// Input: 4 bytes of parameters, then the bytes the server sends:
//   byte 0: max_line:  4096 if its top bit is set, else 0..127
//   byte 1: max_lines: 100 if its top bit is set, else 1..127 (0 counts as 1)
//   bytes 2-3: seed of the pseudo-random split into reads (0-byte reads too)
// The stream is read three ways, as StreamChannel::read_reply does (next()
// after every read until a reply, an error, or NeedMore): in one read,
// split at the seed's points, and one byte per read. Checks, besides the
// sanitizers:
//  - the three agree on the sequence of replies and on how it ends (an
//    error, or NeedMore): TCP segmentation never changes what a server
//    said. (Not on the error's text: it quotes what was buffered.)
//  - they agree with a reference reader written here from the grammar:
//    lines end in CRLF only, "CODE-text" until "CODE text" or "CODE",
//    code 2-5/0-9/0-9 and the same on every line, no line longer than
//    max_line (CRLF included) and at most max_lines lines, an error as
//    soon as the bytes so far cannot become a reply;
//  - every reply has a code 200..599, text of valid UTF-8 without a
//    control character (C0, DEL, C1) other than the '\n' between lines,
//    an enhanced code that is empty or "class.subject.detail" (1-3 digits
//    each) of the code's class, at most max_lines lines, none longer than
//    max_line;
//  - has_buffered() is true exactly when bytes were fed past the last
//    reply returned; an error is final (same text, whatever is fed or
//    cleared); NeedMore repeats without a feed; after clear() the parser
//    starts afresh;
//  - a one-line reply (or one without an enhanced code) read back from its
//    own wire() form is the same reply;
//  - printable_utf8 never lengthens, makes valid UTF-8 without controls,
//    changes nothing in text that already is, and is idempotent.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/smtp/address.hpp"
#include "common/smtp/client/reply_parser.hpp"
#include "tests/fuzz/check.hpp"

namespace {

using mailpipe::smtp::client::NeedMore;
using mailpipe::smtp::client::printable_utf8;
using mailpipe::smtp::Reply;
using mailpipe::smtp::client::ReplyError;
using mailpipe::smtp::client::ReplyLimits;
using mailpipe::smtp::client::ReplyParser;
using mailpipe::smtp::client::ReplyStep;
using mailpipe::smtp::valid_utf8;

enum class End { need_more, error };

struct Outcome {
  std::vector<Reply> replies;
  std::vector<bool> buffered_after;  // has_buffered() right after each reply
  std::vector<std::size_t> fed_at;   // bytes fed when each reply came
  End end = End::need_more;
  bool buffered_at_end = false;
  std::size_t fed = 0;
};

// What the grammar says `stream` is: the replies, the offset just past
// each, and how it ends.
struct Reference {
  std::vector<Reply> replies;
  std::vector<std::size_t> ends;
  End end = End::need_more;
};

bool same(const Reply& a, const Reply& b) { return a.code == b.code && a.enhanced == b.enhanced && a.text == b.text; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A byte of a code at position `i` of a line, for i < 4 ("250 ", "250-").
bool code_char_ok(std::size_t i, char c) {
  switch (i) {
    case 0: return c >= '2' && c <= '5';
    case 1:
    case 2: return is_digit(c);
    default: return c == ' ' || c == '-';
  }
}

bool whole_line_ok(std::string_view line) {
  if (line.size() < 3) return false;
  for (std::size_t i = 0; i < std::min<std::size_t>(line.size(), 4); ++i) {
    if (!code_char_ok(i, line[i])) return false;
  }
  return true;
}

bool line_start_ok(std::string_view line) {
  for (std::size_t i = 0; i < std::min<std::size_t>(line.size(), 4); ++i) {
    if (!code_char_ok(i, line[i])) return false;
  }
  return true;
}

// RFC 3463 "class.subject.detail", 1-3 digits each, at the start of the
// text, then the end or a space; class the basic code's first digit.
std::size_t enhanced_length(std::string_view text, int code) {
  if (text.empty() || text[0] != static_cast<char>('0' + code / 100)) return 0;
  std::size_t i = 1;
  for (int part = 0; part < 2; ++part) {
    if (i >= text.size() || text[i] != '.') return 0;
    const std::size_t start = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == start || i - start > 3) return 0;
  }
  if (i < text.size() && text[i] != ' ') return 0;
  return i;
}

Reference reference(std::string_view stream, const ReplyLimits& limits) {
  Reference ref;
  Reply partial;
  std::size_t lines = 0;
  std::size_t pos = 0;
  const auto fail = [&] {
    ref.end = End::error;
    return ref;
  };
  while (true) {
    const std::size_t crlf = stream.find("\r\n", pos);
    if (crlf == std::string_view::npos) {
      std::string_view rest = stream.substr(pos);
      // A CR at the very end is the start of the CRLF or a bare CR: either
      // way the line is what comes before it.
      const bool cr_at_end = rest.ends_with('\r');
      if (cr_at_end) rest.remove_suffix(1);
      if (rest.find_first_of("\r\n") != std::string_view::npos) return fail();
      if (rest.size() + 2 > limits.max_line) return fail();
      if (!(cr_at_end ? whole_line_ok(rest) : line_start_ok(rest))) return fail();
      ref.end = End::need_more;
      return ref;
    }
    const std::string_view line = stream.substr(pos, crlf - pos);
    if (line.find_first_of("\r\n") != std::string_view::npos) return fail();
    if (line.size() + 2 > limits.max_line) return fail();
    if (!whole_line_ok(line)) return fail();
    const int code = std::stoi(std::string(line.substr(0, 3)));
    if (lines > 0 && code != partial.code) return fail();
    partial.code = code;
    if (lines > 0) partial.text += '\n';
    if (line.size() > 4) partial.text += printable_utf8(line.substr(4));
    ++lines;
    pos = crlf + 2;
    if (line.size() == 3 || line[3] == ' ') {
      if (const std::size_t n = enhanced_length(partial.text, code); n > 0) {
        partial.enhanced = partial.text.substr(0, n);
        partial.text.erase(0, std::min(n + 1, partial.text.size()));
      }
      ref.replies.push_back(std::move(partial));
      ref.ends.push_back(pos);
      partial = Reply{};
      lines = 0;
    } else if (lines >= limits.max_lines) {
      return fail();
    }
  }
}

// A control character of valid UTF-8 text: C0, DEL, or C1 (U+0080..U+009F,
// "\xc2\x80".."\xc2\x9f"; U+009B is CSI to a terminal).
bool has_control(std::string_view text, bool newline_allowed) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n' && newline_allowed) continue;
    if (byte < 0x20 || byte == 0x7f) return true;
    if (byte == 0xc2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return true;
    }
  }
  return false;
}

void check_reply(const Reply& reply, const ReplyLimits& limits) {
  FUZZ_CHECK(reply.code >= 200 && reply.code <= 599, "a reply's code is 200..599");
  FUZZ_CHECK(valid_utf8(reply.text), "a reply's text is valid UTF-8");
  FUZZ_CHECK(!has_control(reply.text, true), "a reply's text has no control character but the '\\n' between lines");
  if (!reply.enhanced.empty()) {
    FUZZ_CHECK(enhanced_length(reply.enhanced, reply.code) == reply.enhanced.size(),
               "an enhanced code is class.subject.detail of the basic code's class");
  }
  std::size_t lines = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = reply.text.find('\n', start);
    const std::size_t size = (nl == std::string::npos ? reply.text.size() : nl) - start;
    // What the line had after "CODE " (printable_utf8 never lengthens).
    std::size_t text_size = size;
    if (lines == 0 && !reply.enhanced.empty()) text_size += reply.enhanced.size() + (size > 0 ? 1 : 0);
    FUZZ_CHECK((text_size == 0 ? 3 : 4 + text_size) + 2 <= limits.max_line, "no reply line is longer than max_line");
    ++lines;
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  FUZZ_CHECK(lines <= limits.max_lines, "no reply has more than max_lines lines");

  // The wire form reads back as the same reply. (Not for a multi-line reply
  // with an enhanced code: wire() repeats it on every line, and only the
  // first line's is split off.)
  if (reply.enhanced.empty() || reply.text.find('\n') == std::string::npos) {
    ReplyParser again(ReplyLimits{.max_line = 4096 + 1, .max_lines = 128});  // "250" comes back as "250 "
    again.feed(reply.wire());
    const ReplyStep step = again.next();
    const Reply* back = std::get_if<Reply>(&step);
    FUZZ_CHECK(back != nullptr && same(*back, reply), "a reply's wire() form reads back as the same reply");
    FUZZ_CHECK(!again.has_buffered(), "wire() is one reply");
  }
}

// Reads `stream` in pieces of the sizes `next_size` returns, as
// StreamChannel::read_reply reads it from a socket.
template <typename NextSize>
Outcome read(std::string_view stream, const ReplyLimits& limits, NextSize next_size) {
  ReplyParser parser(limits);
  Outcome out;
  while (true) {
    const ReplyStep step = parser.next();
    if (const Reply* reply = std::get_if<Reply>(&step)) {
      out.replies.push_back(*reply);
      out.buffered_after.push_back(parser.has_buffered());
      out.fed_at.push_back(out.fed);
      // A line is at least "250\r\n": more replies than that is a loop.
      FUZZ_CHECK(out.replies.size() <= out.fed / 5, "every reply takes at least 5 bytes");
      continue;
    }
    if (const ReplyError* error = std::get_if<ReplyError>(&step)) {
      out.end = End::error;
      const std::string text = error->text;
      FUZZ_CHECK(!text.empty(), "an error says why");
      FUZZ_CHECK(valid_utf8(text) && !has_control(text, false), "an error's text is safe to log");
      FUZZ_CHECK(text.size() < 200, "an error quotes an excerpt, not the line");
      for (const std::string_view more : {std::string_view(), std::string_view("250 ok\r\n")}) {
        parser.feed(more);
        const ReplyStep again = parser.next();
        const ReplyError* same_error = std::get_if<ReplyError>(&again);
        FUZZ_CHECK(same_error != nullptr && same_error->text == text, "an error is final");
      }
      parser.clear();
      parser.feed("250 ok\r\n");
      const ReplyStep after_clear = parser.next();
      const ReplyError* same_error = std::get_if<ReplyError>(&after_clear);
      FUZZ_CHECK(same_error != nullptr && same_error->text == text, "an error is final, clear() or not");
      return out;
    }
    if (out.fed == stream.size()) break;
    const std::size_t size = std::min(next_size(), stream.size() - out.fed);
    parser.feed(stream.substr(out.fed, size));
    out.fed += size;
  }
  out.end = End::need_more;
  out.buffered_at_end = parser.has_buffered();
  FUZZ_CHECK(std::holds_alternative<NeedMore>(parser.next()), "NeedMore repeats without a feed");
  // STARTTLS: whatever was buffered is gone, and the parser starts afresh.
  parser.clear();
  FUZZ_CHECK(!parser.has_buffered(), "clear() leaves nothing buffered");
  FUZZ_CHECK(std::holds_alternative<NeedMore>(parser.next()), "clear() leaves nothing to parse");
  parser.feed("250 ok\r\n");
  const ReplyStep fresh = parser.next();
  const Reply* reply = std::get_if<Reply>(&fresh);
  if (limits.max_line >= 8) {
    FUZZ_CHECK(reply != nullptr && reply->code == 250 && reply->text == "ok", "after clear() a reply reads alone");
  } else {
    FUZZ_CHECK(std::holds_alternative<ReplyError>(fresh), "after clear() the limits still hold");
  }
  return out;
}

void check_same(const Outcome& a, const Outcome& b, const char* what) {
  FUZZ_CHECK(a.replies.size() == b.replies.size(), what);
  for (std::size_t i = 0; i < a.replies.size(); ++i) FUZZ_CHECK(same(a.replies[i], b.replies[i]), what);
  FUZZ_CHECK(a.end == b.end, what);
}

void check_buffered(const Outcome& got, const Reference& ref) {
  for (std::size_t i = 0; i < got.replies.size(); ++i) {
    FUZZ_CHECK(got.buffered_after[i] == (got.fed_at[i] > ref.ends[i]),
               "has_buffered() after a reply is whether bytes were fed past it");
  }
  if (got.end == End::need_more) {
    const std::size_t last_end = ref.ends.empty() ? 0 : ref.ends.back();
    FUZZ_CHECK(got.buffered_at_end == (got.fed > last_end), "has_buffered() is whether bytes were fed past the last reply");
  }
}

void check_printable_utf8(std::string_view bytes) {
  const std::string out = printable_utf8(bytes);
  FUZZ_CHECK(out.size() <= bytes.size(), "printable_utf8 never lengthens (a '?' per bad byte or control)");
  FUZZ_CHECK(valid_utf8(out), "printable_utf8 makes valid UTF-8");
  FUZZ_CHECK(!has_control(out, false), "printable_utf8 leaves no control character");
  FUZZ_CHECK(printable_utf8(out) == out, "printable_utf8 is idempotent");
  if (valid_utf8(bytes) && !has_control(bytes, false)) {
    FUZZ_CHECK(out == bytes, "printable_utf8 keeps printable UTF-8 as it is");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  ReplyLimits limits;
  limits.max_line = (data[0] & 0x80) ? 4096 : data[0];
  limits.max_lines = (data[1] & 0x80) ? 100 : std::max(data[1] & 0x7f, 1);
  mailpipe::fuzz::ReadSplit pieces(data[2], data[3]);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 4, size - 4);

  const Outcome whole = read(stream, limits, [&] { return stream.size(); });
  const Outcome split = read(stream, limits, [&] { return pieces.next(); });
  const Outcome bytewise = read(stream, limits, [] { return std::size_t{1}; });

  check_same(split, whole, "split reads give the replies and the end of one read");
  check_same(bytewise, whole, "byte-by-byte reads give the replies and the end of one read");
  const Reference ref = reference(stream, limits);
  Outcome expected;
  expected.replies = ref.replies;
  expected.end = ref.end;
  check_same(whole, expected, "one read gives the replies and the end the grammar says");
  for (const Reply& reply : whole.replies) check_reply(reply, limits);
  for (const Outcome* got : {&whole, &split, &bytewise}) check_buffered(*got, ref);
  check_printable_utf8(stream);
  return 0;
}
