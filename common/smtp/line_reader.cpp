#include "common/smtp/line_reader.hpp"

namespace mailpipe::smtp {

LineReader::LineReader(std::size_t max_line) : max_line_(max_line) {}

void LineReader::reset_scan() {
  scan_ = pos_;
  bare_ = false;
  nul_ = false;
}

void LineReader::append(std::string_view bytes) {
  if (pos_ > 0) {
    buffer_.erase(0, pos_);
    scan_ -= pos_;
    pos_ = 0;
  }
  buffer_.append(bytes);
}

std::string LineReader::take_buffered() {
  std::string rest = buffer_.substr(pos_);
  buffer_.clear();
  pos_ = 0;
  skipping_ = false;
  reset_scan();
  return rest;
}

void LineReader::discard_buffered() { (void)take_buffered(); }

LineReader::Result LineReader::next() {
  {
    std::size_t i = scan_;
    while (i < buffer_.size()) {
      const char c = buffer_[i];
      if (c == '\r') {
        if (i + 1 == buffer_.size()) break;  // the LF may be in the next read
        if (buffer_[i + 1] == '\n') {
          // End of a line.
          const std::size_t length = i - pos_ + 2;
          const std::size_t start = pos_;
          pos_ = i + 2;
          const bool was_skipping = skipping_;
          const bool bare = bare_;
          const bool nul = nul_;
          skipping_ = false;
          reset_scan();
          if (was_skipping) {  // the tail of a line already reported
            i = scan_;
            continue;
          }
          if (length > max_line_) return {Status::too_long, {}};
          if (bare) return {Status::bare_newline, {}};
          if (nul) return {Status::nul, {}};
          return {Status::complete, buffer_.substr(start, length - 2)};
        }
        bare_ = true;
      } else if (c == '\n') {
        bare_ = true;
      } else if (c == '\0') {
        nul_ = true;
      }
      ++i;
    }
    scan_ = i;
    if (skipping_) {
      // Keep only a possible CR that may pair with the next read's LF.
      const bool keep_cr = buffered() > 0 && buffer_.back() == '\r';
      buffer_.clear();
      pos_ = 0;
      if (keep_cr) buffer_ = "\r";
      scan_ = 0;
      return {Status::incomplete, {}};
    }
    if (scan_ - pos_ + 2 > max_line_) {
      // Too long already, CRLF or not: say so now and skip the rest.
      skipping_ = true;
      return {Status::too_long, {}};
    }
    return {Status::incomplete, {}};
  }
}

}  // namespace mailpipe::smtp
