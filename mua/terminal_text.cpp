#include "mua/terminal_text.hpp"

#include "mua/utf8.hpp"

namespace mailpipe::mua {
namespace {

bool is_control(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

template <typename Replace>
std::string clean(std::string_view text, Replace replace) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const Utf8Char c = utf8_char_at(text, pos);
    if (!c.valid) {
      append_utf8(out, 0xFFFD);
    } else if (is_control(c.code_point)) {
      replace(out, c.code_point);
    } else {
      out.append(text.substr(pos, c.length));
    }
    pos += c.length;
  }
  return out;
}

}  // namespace

std::string terminal_line(std::string_view utf8) {
  return clean(utf8, [](std::string& out, char32_t) { out += ' '; });
}

std::string terminal_text(std::string_view utf8) {
  return clean(utf8, [](std::string& out, char32_t cp) {
    if (cp == '\n' || cp == '\t') {
      out += static_cast<char>(cp);
    } else {
      append_utf8(out, 0xFFFD);
    }
  });
}

std::string fit_columns(std::string_view line, std::size_t columns, bool pad) {
  std::size_t count = 0;
  std::size_t pos = 0;
  std::size_t cut = 0;  // where the text ends if it must be cut
  while (pos < line.size()) {
    if (count + 1 == columns) cut = pos;
    pos += utf8_char_at(line, pos).length;
    ++count;
    if (count > columns) break;
  }
  if (count > columns) return std::string(line.substr(0, cut)) + "\u2026";
  std::string out(line);
  if (pad) out.append(columns - count, ' ');
  return out;
}

}  // namespace mailpipe::mua
