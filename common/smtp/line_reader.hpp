#pragma once
// Splits the command stream into lines. Only CRLF ends a line (RFC 5321
// 2.3.8): a bare CR or LF makes the line invalid instead of ending it, so
// peers that disagree on line ends cannot smuggle commands. A line longer
// than the limit is reported once and then skipped up to its CRLF, so
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

  void set_max_line(std::size_t max_line) { max_line_ = max_line; }
  void append(std::string_view bytes);
  Result next();

  std::size_t buffered() const { return buffer_.size() - pos_; }
  // Hands over the unread bytes (the start of DATA's content).
  std::string take_buffered();
  // CVE-2011-0411: drops what a client pipelined behind STARTTLS.
  void discard_buffered();

 private:
  void reset_scan();

  std::size_t max_line_;
  std::string buffer_;
  std::size_t pos_ = 0;   // start of the current line
  std::size_t scan_ = 0;  // how far the current line has been scanned
  bool bare_ = false;     // current line holds a bare CR or LF
  bool nul_ = false;      // current line holds a NUL
  bool skipping_ = false; // reported too long; dropping bytes up to CRLF
};

}  // namespace mailpipe::smtp
