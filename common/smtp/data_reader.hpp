#pragma once
// Reads the content of DATA (RFC 5321 4.1.1.4): undoes dot-stuffing
// (4.5.2) and stops at the end-of-data marker.
//
// CVE-2023-51764 and kin (SMTP smuggling): ONLY <CRLF>.<CRLF> ends the
// data. "\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n" do not; any bare CR or LF
// makes the message refused (550 5.6.0), and reading goes on to the real
// end so the session stays in step with the client. Limits (size, line
// length) are checked as bytes arrive; past the size limit nothing more
// is stored, so memory stays bounded. The size counts the message as it
// will be stored: unstuffed, with its CRLFs, without the final ".\r\n".
//
// Hot path: runs of ordinary lines are found with memchr and stored with
// one append; the byte-wise states only handle line starts and a CR split
// from its LF across reads.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailpipe::smtp {

struct DataLimits {
  uint64_t max_message_bytes = 0;
  // Octets including CRLF, not counting a stuffed dot (RFC 5321 4.5.3.1.6).
  std::size_t max_text_line = 0;
};

class DataReader final {
 public:
  explicit DataReader(DataLimits limits);

  enum class Status { ok, too_big, line_too_long, bare_newline, nul };

  // Consumes bytes up to and including the end-of-data marker and returns
  // how many it consumed; what follows belongs to the next command.
  std::size_t feed(std::string_view bytes);
  bool finished() const { return finished_; }
  // The problem at the earliest byte, ok if none; the same however the
  // input was split.
  Status status() const { return status_; }
  // Dot-unstuffed, CRLF line ends, without the final ".\r\n".
  std::string take_message() { return std::move(message_); }

 private:
  enum class State { line_start, dot, dot_cr, in_line, cr };
  // Offsets count bytes of the DATA stream from its first byte.
  void fail(Status status, uint64_t at);
  void store(std::string_view bytes, uint64_t at);
  void count_line(std::size_t bytes, uint64_t at);
  std::size_t scan_lines(const char* data, std::size_t i, std::size_t size);

  DataLimits limits_;
  State state_ = State::line_start;
  std::string message_;
  uint64_t total_ = 0;
  std::size_t line_length_ = 0;
  Status status_ = Status::ok;
  uint64_t error_at_ = 0;  // offset of the byte that caused status_
  uint64_t consumed_ = 0;  // bytes consumed by earlier feeds
  uint64_t base_ = 0;      // offset of the current feed's first byte
  bool finished_ = false;
};

}  // namespace mailpipe::smtp
