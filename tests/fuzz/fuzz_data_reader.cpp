// Fuzz target: the DATA reader, smtp::DataReader (RFC 5321 4.1.1.4, dot-
// stuffing 4.5.2, and the SMTP smuggling rules of CVE-2023-51764).
//
// Input: 4 bytes of parameters, then the bytes a client sends after
// "DATA\r\n" (see README.md for seeds):
//   byte 0: max_message_bytes: 1,000,000 if its top bit is set, else 0..127
//   byte 1: max_text_line:     1000 if its top bit is set, else 0..127
//   bytes 2-3: seed of the pseudo-random split into reads (0-byte reads too)
// The stream is read three ways: in one read, split at the seed's points,
// and one byte per read. Checks, besides the sanitizers:
//  - the three reads agree on bytes consumed, finished(), status() and the
//    message: TCP segmentation never changes what we accept or reply;
//  - the data ends exactly after the first <CRLF>.<CRLF> (the CRLF of the
//    DATA line counting as the first one), and nowhere else: not at
//    "\n.\n", "\r.\r", "\n.\r\n" or "\r\n.\n";
//  - a read returns less than it was given only when the data has ended,
//    and once ended, more reads consume nothing and change nothing;
//  - the message is never longer than max_message_bytes, and exactly that
//    long when the status is too_big;
//  - a finished stream is ok exactly when it has no NUL, no bare CR or LF,
//    no line (with CRLF, without its stuffed dot) longer than
//    max_text_line and fits the size limit, and then the message is the
//    lines with one leading dot removed (dot-unstuffing), each ending in
//    CRLF;
//  - an unfinished stream reported ok has no NUL and no bare CR or LF so
//    far, and its message is a prefix of the unstuffed bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/smtp/data_reader.hpp"
#include "tests/fuzz/check.hpp"

namespace {

using mailpipe::smtp::DataLimits;
using mailpipe::smtp::DataReader;
using Status = DataReader::Status;

struct Outcome {
  std::size_t consumed = 0;
  bool finished = false;
  Status status = Status::ok;
  std::string message;
};

// Reads `stream` in pieces of the sizes `next_size` returns, as a session
// reads it from a socket.
template <typename NextSize>
Outcome read(std::string_view stream, DataLimits limits, NextSize next_size) {
  DataReader reader(limits);
  Outcome out;
  std::size_t pos = 0;
  while (pos < stream.size() && !reader.finished()) {
    const std::size_t size = std::min(next_size(), stream.size() - pos);
    const std::string_view piece = stream.substr(pos, size);
    const std::size_t used = reader.feed(piece);
    FUZZ_CHECK(used <= size, "feed consumes at most what it is given");
    if (used < size) FUZZ_CHECK(reader.finished(), "feed stops short only at the end of data");
    pos += used;
  }
  out.consumed = pos;
  out.finished = reader.finished();
  out.status = reader.status();
  if (out.finished) {
    // Finished is final: what follows is the next command, not data.
    FUZZ_CHECK(reader.feed(stream.substr(pos)) == 0, "nothing is consumed after the end of data");
    FUZZ_CHECK(reader.feed("x\r\n.\r\n") == 0, "nothing is consumed after the end of data");
    FUZZ_CHECK(reader.finished(), "finished() stays true");
    FUZZ_CHECK(reader.status() == out.status, "the status does not change after the end");
  }
  out.message = reader.take_message();
  return out;
}

// Lines split at CRLF, one leading dot removed from each (RFC 5321 4.5.2).
std::string unstuff(std::string_view bytes) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t end = bytes.find("\r\n", pos);
    std::string_view line = bytes.substr(pos, end == std::string_view::npos ? bytes.npos : end - pos);
    if (line.starts_with('.')) line.remove_prefix(1);
    out += line;
    if (end == std::string_view::npos) return out;
    out += "\r\n";
    pos = end + 2;
  }
}

// No NUL, and every CR is followed by LF and every LF preceded by CR,
// ignoring a CR at the very end (its LF may be in the next read).
bool clean(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == '\0') return false;
    if (c == '\r' && i + 1 < bytes.size() && bytes[i + 1] != '\n') return false;
    if (c == '\n' && (i == 0 || bytes[i - 1] != '\r')) return false;
  }
  return true;
}

void check_against_reference(std::string_view stream, DataLimits limits, const Outcome& got) {
  FUZZ_CHECK(got.message.size() <= limits.max_message_bytes, "the message never exceeds max_message_bytes");
  if (got.status == Status::too_big) {
    FUZZ_CHECK(got.message.size() == limits.max_message_bytes, "too_big keeps exactly max_message_bytes");
  }

  // The CRLF that ended the DATA command line starts the first line.
  const std::string with_data_line = "\r\n" + std::string(stream);
  const std::size_t marker = with_data_line.find("\r\n.\r\n");
  FUZZ_CHECK(got.finished == (marker != std::string::npos), "data ends if and only if <CRLF>.<CRLF> came");
  if (!got.finished) {
    FUZZ_CHECK(got.consumed == stream.size(), "unfinished data consumes every byte");
    if (got.status == Status::ok) {
      FUZZ_CHECK(clean(stream), "no NUL, bare CR or bare LF in data reported ok");
      FUZZ_CHECK(unstuff(stream).starts_with(got.message), "the message so far is the unstuffed data");
    }
    return;
  }
  FUZZ_CHECK(got.consumed == marker + 3, "data ends right after the first <CRLF>.<CRLF>");

  const std::string_view body = stream.substr(0, marker);  // every line with its CRLF
  bool ok = body.find('\0') == std::string_view::npos && clean(body) && (body.empty() || body.ends_with("\r\n"));
  for (std::size_t pos = 0; ok && pos < body.size();) {
    const std::size_t end = body.find("\r\n", pos);
    // RFC 5321 4.5.3.1.6: the limit is on the line after unstuffing; the
    // client's stuffed dot (4.5.2) is not part of it.
    const std::size_t stuffed = body[pos] == '.' ? 1 : 0;
    if (end - pos - stuffed + 2 > limits.max_text_line) ok = false;
    pos = end + 2;
  }
  const std::string message = body.empty() ? std::string() : unstuff(body.substr(0, body.size() - 2)) + "\r\n";
  if (message.size() > limits.max_message_bytes) ok = false;
  FUZZ_CHECK((got.status == Status::ok) == ok, "status ok exactly for clean data within the limits");
  if (ok) FUZZ_CHECK(got.message == message, "the message is the data, dot-unstuffed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  DataLimits limits;
  limits.max_message_bytes = (data[0] & 0x80) ? 1'000'000 : data[0];
  limits.max_text_line = (data[1] & 0x80) ? 1000 : (data[1] & 0x7f);
  mailpipe::fuzz::ReadSplit pieces(data[2], data[3]);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 4, size - 4);

  const Outcome whole = read(stream, limits, [&] { return stream.size(); });
  const Outcome split = read(stream, limits, [&] { return pieces.next(); });
  const Outcome bytewise = read(stream, limits, [] { return std::size_t{1}; });

  for (const Outcome* other : {&split, &bytewise}) {
    FUZZ_CHECK(other->consumed == whole.consumed, "consumed bytes do not depend on the split");
    FUZZ_CHECK(other->finished == whole.finished, "finished() does not depend on the split");
    FUZZ_CHECK(other->status == whole.status, "status() does not depend on the split");
    FUZZ_CHECK(other->message == whole.message, "the message does not depend on the split");
  }
  check_against_reference(stream, limits, whole);
  return 0;
}
