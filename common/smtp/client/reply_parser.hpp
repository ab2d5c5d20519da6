#pragma once
// The client side's reply reader (RFC 5321 4.2), as a pure state machine
// fed with the bytes a server sent: no socket, no timer, so the fuzz
// target and the unit tests drive it exactly as the stream does.
//
// A reply is one or more lines "CODE-text" ending with "CODE text" (or a
// bare "CODE"), each ending in CRLF. Anything else ends the connection as a
// protocol error, never a guess: a code that is not three digits 2-5/0-9/
// 0-9 ("25O"), a fourth character that is neither space nor hyphen
// ("2500"), a code that changes inside a reply, a bare CR or LF, a line
// longer than max_line or a reply of more than max_lines lines. The text is
// made printable UTF-8 here, at the edge (invalid bytes and control
// characters become '?'): it ends up in protobuf strings, DSNs, logs and
// terminals.
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "common/smtp/reply.hpp"

namespace mailpipe::smtp::client {

struct ReplyLimits {
  // RFC 5321 4.5.3.1.5 allows 512 octets a reply line; real servers send
  // longer ones, so be generous, never unbounded.
  std::size_t max_line = 4096;  // octets, CRLF included
  std::size_t max_lines = 100;
};

// Why the bytes are not a reply.
struct ReplyError {
  std::string text;  // "malformed reply line \"25O ok\"", safe to log
};

// Not a whole reply yet: feed more bytes.
struct NeedMore {};

using ReplyStep = std::variant<NeedMore, Reply, ReplyError>;

class ReplyParser final {
 public:
  explicit ReplyParser(ReplyLimits limits = {}) : limits_(limits) {}

  // Appends bytes read from the server.
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next reply from what was fed, NeedMore, or an error (final: the
  // connection is done; later calls return the same error).
  ReplyStep next();
  // Bytes fed and not yet part of a returned reply: after the reply a step
  // asked for, anything here is input nobody asked for.
  bool has_buffered() const { return !buffer_.empty() || partial_lines_ > 0; }
  // STARTTLS (RFC 3207 4.2, CVE-2011-0411): nothing the server sent before
  // the handshake may count after it.
  void clear() {
    buffer_.clear();
    partial_ = Reply{};
    partial_lines_ = 0;
  }

 private:
  ReplyLimits limits_;
  std::string buffer_;
  Reply partial_;                 // the lines of a reply so far
  std::size_t partial_lines_ = 0;
  std::string error_;        // set once: every later next() returns it
};

// RFC 3463 / RFC 2034: "2.1.0 Ok" -> enhanced "2.1.0" and text "Ok" when
// the class matches the basic code's; else the text stays as it is.
void split_enhanced(Reply& reply);

// `text` with every byte sequence that is not valid UTF-8, and every
// control character (C0, DEL and C1), replaced by '?'.
std::string printable_utf8(std::string_view text);

}  // namespace mailpipe::smtp::client
