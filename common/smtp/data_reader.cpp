#include "common/smtp/data_reader.hpp"

#include <cstring>

namespace mailpipe::smtp {

DataReader::DataReader(DataLimits limits) : limits_(limits) {}

// The earliest offending byte wins (equal offsets: the lower enum value),
// so the status, and the client's reply, do not depend on how TCP split
// the stream.
void DataReader::fail(Status status, uint64_t at) {
  if (status_ == Status::ok || at < error_at_ || (at == error_at_ && status < status_)) {
    status_ = status;
    error_at_ = at;
  }
}

// `bytes` are contiguous in the stream from offset `at`.
void DataReader::store(std::string_view bytes, uint64_t at) {
  const uint64_t before = total_;
  total_ += bytes.size();
  if (total_ > limits_.max_message_bytes) {
    const uint64_t room = before < limits_.max_message_bytes ? limits_.max_message_bytes - before : 0;
    fail(Status::too_big, at + room);
    // Keep exactly the first max_message_bytes (however the input was
    // split), and nothing more: bounded memory.
    message_.append(bytes.substr(0, room));
    return;
  }
  message_.append(bytes);
}

void DataReader::count_line(std::size_t bytes, uint64_t at) {
  const std::size_t before = line_length_;
  line_length_ += bytes;
  // +2: the CRLF that must still end this line.
  if (line_length_ + 2 > limits_.max_text_line) {
    const std::size_t fits = before + 2 < limits_.max_text_line ? limits_.max_text_line - 2 - before : 0;
    fail(Status::line_too_long, at + fits);
  }
}

// Inside a line: stores whole runs of ordinary lines with one append and
// stops only where a line starts with '.', at a CR split from its LF, or
// at the end of the input. Returns where it stopped.
std::size_t DataReader::scan_lines(const char* data, std::size_t i, std::size_t size) {
  const std::size_t run = i;  // first byte not yet stored
  for (;;) {
    const char* cr = static_cast<const char*>(std::memchr(data + i, '\r', size - i));
    const std::size_t stop = cr ? static_cast<std::size_t>(cr - data) : size;
    if (status_ == Status::ok && stop > i) {
      // RFC 5321 2.3.8: a bare LF is not a line end (CVE-2023-51764).
      const char* lf = static_cast<const char*>(std::memchr(data + i, '\n', stop - i));
      const std::size_t lf_end = lf ? static_cast<std::size_t>(lf - data) : stop;
      const char* nul = static_cast<const char*>(std::memchr(data + i, '\0', lf_end - i));
      if (nul) {
        fail(Status::nul, base_ + static_cast<std::size_t>(nul - data));
      } else if (lf) {
        fail(Status::bare_newline, base_ + lf_end);
      }
    }
    count_line(stop - i, base_ + i);
    if (stop + 1 >= size) {  // no CR, or a CR whose LF is in the next read
      store(std::string_view(data + run, stop - run), base_ + run);
      if (stop < size) state_ = State::cr;
      return size;
    }
    if (data[stop + 1] != '\n') {
      fail(Status::bare_newline, base_ + stop);  // a bare CR is content, never a line end
      count_line(1, base_ + stop);
      i = stop + 1;
      continue;
    }
    i = stop + 2;  // past a CRLF: a new line starts
    line_length_ = 0;
    if (i == size || data[i] == '.') {
      store(std::string_view(data + run, i - run), base_ + run);
      state_ = State::line_start;
      return i;
    }
  }
}

std::size_t DataReader::feed(std::string_view bytes) {
  const char* data = bytes.data();
  const std::size_t size = bytes.size();
  base_ = consumed_;
  std::size_t i = 0;
  while (i < size && !finished_) {
    const uint64_t here = base_ + i;
    switch (state_) {
      case State::line_start:
        line_length_ = 0;
        if (data[i] == '.') {
          state_ = State::dot;  // counted once we know it is not the end
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
          state_ = State::in_line;  // 4.5.2: drop the stuffed dot; 4.5.3.1.6: never counted
        }
        break;
      case State::dot_cr:
        if (data[i] == '\n') {
          finished_ = true;  // <CRLF>.<CRLF>, the only end of data
          ++i;
        } else {
          // ".\r" then not LF: no end of data, a bare CR (offset here - 1).
          fail(Status::bare_newline, here - 1);
          count_line(1, here - 1);  // the CR; the stuffed dot is not counted
          store("\r", here - 1);
          state_ = State::in_line;
        }
        break;
      case State::cr:
        if (data[i] == '\n') {
          store("\r\n", here - 1);
          state_ = State::line_start;
          ++i;
        } else {
          fail(Status::bare_newline, here - 1);
          count_line(1, here - 1);
          store("\r", here - 1);
          state_ = State::in_line;
        }
        break;
      case State::in_line:
        i = scan_lines(data, i, size);
        break;
    }
  }
  consumed_ += i;
  return i;
}

}  // namespace mailpipe::smtp
