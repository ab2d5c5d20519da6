#pragma once
// Splits the command stream into lines. Only CRLF ends a line (RFC 5321
// 2.3.8): a bare CR or LF does not end a line, it spoils it. The spoiled
// line still runs to its CRLF and is consumed and reported once, as a
// whole, as bare_newline, so a command hidden behind a bare LF
// ("NOOP\nMAIL FROM:<x>\r\n") is never executed, whatever a proxy in front
// of us thinks the line ends are.
//
// A line longer than the limit is reported once as too_long and then
// skipped up to its CRLF (Postfix answers 500 and carries on the same
// way). While skipping nothing is kept but a possible trailing CR, so
// memory stays bounded however long the client keeps talking.
#include <cstddef>
#include <string>
#include <string_view>

namespace mailpipe::smtp {

class LineReader final {
 public:
  // max_line counts the CRLF (RFC 5321 4.5.3.1.4: 512 for commands).
  explicit LineReader(std::size_t max_line);

  enum class Status { complete, incomplete, too_long, bare_newline, nul };
  struct Result {
    Status status = Status::incomplete;
    std::string line;  // without CRLF; only for complete
  };

  // Takes effect for the line being read (AUTH responses get a longer one).
  void set_max_line(std::size_t max_line) { max_line_ = max_line; }
  void append(std::string_view bytes);
  // The next line, or incomplete when more bytes are needed. Never
  // returns incomplete while has_complete_line() is true.
  Result next();
  // A result other than incomplete is waiting (RFC 2920: the session
  // flushes its replies only when the client's batch is used up).
  bool has_complete_line() const;

  std::size_t buffered() const { return buffer_.size() - pos_; }
  // Hands over the unread bytes (the start of DATA's content).
  std::string take_buffered();
  // CVE-2011-0411: drops what a client pipelined behind STARTTLS, so
  // plaintext injected before the handshake is never read as a command.
  void discard_buffered();

 private:
  void start_line();
  void skip(std::string_view bytes);

  std::size_t max_line_;
  std::string buffer_;
  std::size_t pos_ = 0;     // start of the current line
  std::size_t scan_ = 0;    // how far the current line has been scanned
  bool bare_ = false;       // current line holds a bare CR or LF
  bool nul_ = false;        // current line holds a NUL
  bool skipping_ = false;   // reported too long; dropping bytes up to CRLF
  bool held_cr_ = false;    // skipping, and the last byte dropped was a CR
};

}  // namespace mailpipe::smtp
