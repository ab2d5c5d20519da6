#include "common/smtp/line_reader.hpp"

#include <cstring>

namespace mailpipe::smtp {

LineReader::LineReader(std::size_t max_line) : max_line_(max_line) {}

void LineReader::start_line() {
  scan_ = pos_;
  bare_ = false;
  nul_ = false;
}

// Drops the tail of an overlong line; what follows its CRLF is kept.
void LineReader::skip(std::string_view bytes) {
  if (bytes.empty()) return;
  std::size_t resume = std::string_view::npos;
  if (held_cr_ && bytes.front() == '\n') {
    resume = 1;
  } else if (const std::size_t crlf = bytes.find("\r\n"); crlf != std::string_view::npos) {
    resume = crlf + 2;
  }
  if (resume == std::string_view::npos) {
    held_cr_ = bytes.back() == '\r';
    return;
  }
  skipping_ = false;
  held_cr_ = false;
  buffer_.assign(bytes.substr(resume));
  pos_ = 0;
  start_line();
}

void LineReader::append(std::string_view bytes) {
  if (skipping_) {
    skip(bytes);
    return;
  }
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
  held_cr_ = false;
  start_line();
  return rest;
}

void LineReader::discard_buffered() { (void)take_buffered(); }

bool LineReader::has_complete_line() const {
  if (skipping_) return false;  // nothing is buffered while skipping
  const std::string_view rest = std::string_view(buffer_).substr(scan_);
  if (rest.find("\r\n") != std::string_view::npos) return true;
  std::size_t line = buffer_.size() - pos_;
  if (line > 0 && buffer_.back() == '\r') --line;  // its LF may come next
  return line + 2 > max_line_;
}

LineReader::Result LineReader::next() {
  const char* data = buffer_.data();
  const std::size_t size = buffer_.size();
  std::size_t i = scan_;
  while (i < size) {
    // Commands are short; a plain loop over three special bytes is enough.
    const char c = data[i];
    if (c == '\r') {
      if (i + 1 == size) break;  // the LF may be in the next read
      if (data[i + 1] == '\n') {
        const std::size_t start = pos_;
        const std::size_t length = i - start + 2;
        const bool bare = bare_;
        const bool nul = nul_;
        pos_ = i + 2;
        start_line();
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
  if (scan_ - pos_ + 2 > max_line_) {
    // Too long already, whatever follows: say so once and drop the rest of
    // the line as it arrives (see skip()).
    held_cr_ = i < size;  // stopped at a trailing CR
    skipping_ = true;
    buffer_.clear();
    pos_ = 0;
    start_line();
    return {Status::too_long, {}};
  }
  return {Status::incomplete, {}};
}

}  // namespace mailpipe::smtp
