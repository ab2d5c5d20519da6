#include "ctl/terminal_text.hpp"

#include "common/utf8.hpp"

namespace mailpipe::ctl {
namespace {

void append_escaped(std::string& out, std::string_view bytes) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += "\\x";
    out += hex[byte >> 4];
    out += hex[byte & 0xF];
  }
}

}  // namespace

std::string for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const CodePoint point = decode_utf8(text, pos);
    const std::size_t length = point.length == 0 ? 1 : point.length;
    const bool control = point.value < 0x20 || (point.value >= 0x7f && point.value < 0xa0);
    if (point.length == 0 || control) {
      append_escaped(out, text.substr(pos, length));
    } else {
      out.append(text.substr(pos, length));
    }
    pos += length;
  }
  return out;
}

}  // namespace mailpipe::ctl
