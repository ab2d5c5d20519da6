#include "common/smtp/data_reader.hpp"

#include <cstring>

namespace mailpipe::smtp {

DataReader::DataReader(DataLimits limits) : limits_(limits) {}

void DataReader::store(std::string_view bytes) {
  total_ += bytes.size();
  if (total_ > limits_.max_message_bytes) {
    fail(Status::too_big);
    return;  // stop storing: bounded memory
  }
  message_.append(bytes);
}

void DataReader::count_line(std::size_t bytes) {
  line_length_ += bytes;
  // +2: the CRLF that must still end this line.
  if (line_length_ + 2 > limits_.max_text_line) fail(Status::line_too_long);
}

std::size_t DataReader::feed(std::string_view bytes) {
  const char* data = bytes.data();
  const std::size_t size = bytes.size();
  std::size_t i = 0;
  while (i < size && !finished_) {
    switch (state_) {
      case State::line_start:
        line_length_ = 0;
        if (data[i] == '.') {
          state_ = State::dot;
          count_line(1);
          ++i;
        } else {
          state_ = State::in_line;
        }
        break;
      case State::dot:
        if (data[i] == '\r') {
          state_ = State::dot_cr;
          ++i;
        } else {
          state_ = State::in_line;  // RFC 5321 4.5.2: drop the stuffed dot
        }
        break;
      case State::dot_cr:
        if (data[i] == '\n') {
          finished_ = true;
          ++i;
        } else {
          fail(Status::bare_newline);  // ".\r" not followed by LF
          store("\r");
          state_ = State::in_line;
        }
        break;
      case State::cr:
        if (data[i] == '\n') {
          store("\r\n");
          state_ = State::line_start;
          ++i;
        } else {
          fail(Status::bare_newline);
          store("\r");
          state_ = State::in_line;
        }
        break;
      case State::in_line: {
        // Fast path: copy up to the next CR or LF in one go.
        const char* cr = static_cast<const char*>(std::memchr(data + i, '\r', size - i));
        const std::size_t limit = cr ? static_cast<std::size_t>(cr - data) : size;
        const char* lf = static_cast<const char*>(std::memchr(data + i, '\n', limit - i));
        const std::size_t stop = lf ? static_cast<std::size_t>(lf - data) : limit;
        const std::string_view segment(data + i, stop - i);
        if (std::memchr(segment.data(), '\0', segment.size()) != nullptr) fail(Status::nul);
        store(segment);
        count_line(segment.size());
        i = stop;
        if (i == size) break;
        if (data[i] == '\n') {
          fail(Status::bare_newline);  // a bare LF never ends a line here
          store("\n");
          ++i;
        } else {
          state_ = State::cr;
          ++i;
        }
        break;
      }
    }
  }
  return i;
}

}  // namespace mailpipe::smtp
