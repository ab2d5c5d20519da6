#include "ctl/json.hpp"

#include "common/text/utf8.hpp"

namespace mailpipe::ctl {

std::string json_string(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      const CodePoint point = decode_utf8(text, pos);
      if (point.length == 0) {
        out += replacement_character;
        ++pos;
      } else {
        out.append(text.substr(pos, point.length));
        pos += point.length;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        // DEL is legal raw JSON, but escaped it cannot reach a terminal.
        if (byte < 0x20 || byte == 0x7f) {
          out += "\\u00";
          out += hex[byte >> 4];
          out += hex[byte & 0xF];
        } else {
          out += c;
        }
    }
    ++pos;
  }
  out += '"';
  return out;
}

}  // namespace mailpipe::ctl
