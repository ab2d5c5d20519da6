#include "common/smtp/client/reply_parser.hpp"

#include "common/text/utf8.hpp"

namespace mailpipe::smtp::client {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// "250", "250 text", "250-text": the shape of RFC 5321 4.2's Reply-line.
bool reply_line_shape(std::string_view line) {
  return line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && digit(line[1]) && digit(line[2]) &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '-');
}

// Whether an incomplete line can still become a reply line.
bool reply_line_prefix(std::string_view line) {
  if (!line.empty() && (line[0] < '2' || line[0] > '5')) return false;
  if (line.size() > 1 && !digit(line[1])) return false;
  if (line.size() > 2 && !digit(line[2])) return false;
  return line.size() < 4 || line[3] == ' ' || line[3] == '-';
}

// The start of a line for an error text: never the whole of a 1 MB line.
std::string excerpt(std::string_view line) {
  constexpr std::size_t shown = 40;
  std::string out = printable_utf8(line.substr(0, shown));
  if (line.size() > shown) out += "...";
  return out;
}


}  // namespace

std::string printable_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) {
      out += '?';
      ++i;
      continue;
    }
    const CodePoint point = decode_utf8(text, i);
    const std::size_t length = point.length;
    // U+0080..U+009F are controls too (U+009B is CSI to some terminals).
    if (point.value >= 0x80 && point.value <= 0x9f) {
      out += '?';
      i += 2;
      continue;
    }
    if (length == 0) {
      out += '?';
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

void split_enhanced(Reply& reply) {
  const std::string& t = reply.text;
  std::size_t i = 0;
  auto digits = [&](std::size_t max) {
    std::size_t n = 0;
    while (i < t.size() && n < max && digit(t[i])) ++i, ++n;
    return n;
  };
  // RFC 3463 2: the class is 2, 4 or 5 (a 354 has none).
  const int klass = reply.code / 100;
  if (klass != 2 && klass != 4 && klass != 5) return;
  if (t.size() < 5 || t[0] != static_cast<char>('0' + klass)) return;
  i = 1;
  if (t[i++] != '.' || digits(3) == 0 || i >= t.size() || t[i++] != '.' || digits(3) == 0) return;
  if (i < t.size() && t[i] != ' ') return;
  reply.enhanced = t.substr(0, i);
  reply.text = i < t.size() ? t.substr(i + 1) : "";
}

ReplyStep ReplyParser::next() {
  if (!error_.empty()) return ReplyError{error_};
  auto fail = [this](std::string why) -> ReplyStep {
    error_ = std::move(why);
    buffer_.clear();
    partial_ = Reply{};
    partial_lines_ = 0;
    return ReplyError{error_};
  };
  // Whole lines are taken from the buffer as they come (a reply of 100
  // lines is not scanned 100 times); the reply is returned once its last
  // line is in.
  while (true) {
    const std::size_t crlf = buffer_.find("\r\n");
    const std::string_view line = std::string_view(buffer_).substr(0, crlf == std::string::npos ? buffer_.size() : crlf);
    // A bare CR or LF inside a line is no CRLF: a server that ends lines
    // otherwise is not speaking SMTP, and guessing lets replies shift. (A
    // CR at the very end may be the first half of a CRLF still to come.)
    std::string_view content = line;
    if (crlf == std::string::npos && content.ends_with('\r')) content.remove_suffix(1);
    if (content.find_first_of("\r\n") != std::string_view::npos) {
      return fail("reply line with a bare CR or LF: \"" + excerpt(line) + "\"");
    }
    if (content.size() + 2 > limits_.max_line) {
      return fail("reply line too long (over " + std::to_string(limits_.max_line) + " octets): \"" + excerpt(line) + "\"");
    }
    if (crlf == std::string::npos) {
      // Check what can be checked already, so a garbage line fails at
      // once rather than at the length limit or the timeout.
      // A CR at the end may be half of the CRLF: then the line is whole
      // and must be a reply line as it is.
      const bool whole = content.size() < line.size();
      if (whole ? !reply_line_shape(content) : !reply_line_prefix(content)) {
        return fail("malformed reply line \"" + excerpt(line) + "\"");
      }
      return NeedMore{};
    }
    if (!reply_line_shape(line)) return fail("malformed reply line \"" + excerpt(line) + "\"");
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (partial_lines_ > 0 && code != partial_.code) {
      return fail("reply code changes from " + std::to_string(partial_.code) + " to " + std::to_string(code) +
                  " inside one reply");
    }
    partial_.code = code;
    if (partial_lines_ > 0) partial_.text += '\n';
    if (line.size() > 4) partial_.text += printable_utf8(line.substr(4));
    ++partial_lines_;
    const bool last = line.size() == 3 || line[3] == ' ';
    buffer_.erase(0, crlf + 2);
    if (last) {
      Reply reply = std::move(partial_);
      partial_ = Reply{};
      partial_lines_ = 0;
      split_enhanced(reply);
      return reply;
    }
    if (partial_lines_ >= limits_.max_lines) {
      return fail("reply of more than " + std::to_string(limits_.max_lines) + " lines");
    }
  }
}

}  // namespace mailpipe::smtp::client
