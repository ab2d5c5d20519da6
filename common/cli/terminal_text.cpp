#include "common/cli/terminal_text.hpp"

#include "common/text/hex.hpp"
#include "common/text/utf8.hpp"

namespace mailpipe::cli {
namespace {

// C0, DEL and C1.
bool is_c0_or_c1(char32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// Also the bidi embeddings, overrides and isolates (U+202A..U+202E,
// U+2066..U+2069), which can make "evil.exe\u202Efdp." read as a PDF.
bool is_control(char32_t cp) {
  return is_c0_or_c1(cp) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// Bytes a character takes; an invalid byte counts as one.
std::size_t char_length(const CodePoint& point) { return point.length == 0 ? 1 : point.length; }

// Text a character at a time: what `keep` accepts stays, `replace` writes
// the rest (an invalid byte comes with point.length 0).
template <typename Keep, typename Replace>
std::string rewrite(std::string_view text, Keep keep, Replace replace) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const CodePoint point = decode_utf8(text, pos);
    const std::size_t length = char_length(point);
    if (point.length != 0 && keep(point.value)) {
      out.append(text.substr(pos, length));
    } else {
      replace(out, text.substr(pos, length), point);
    }
    pos += length;
  }
  return out;
}

// For reading: invalid UTF-8 shows as U+FFFD, controls as `replace` says.
template <typename Replace>
std::string clean(std::string_view text, Replace replace) {
  return rewrite(
      text, [](char32_t cp) { return !is_control(cp); },
      [&](std::string& out, std::string_view, const CodePoint& point) {
        if (point.length == 0) {
          out += replacement_character;
        } else {
          replace(out, point.value);
        }
      });
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
      out += replacement_character;
    }
  });
}

std::string fit_columns(std::string_view line, std::size_t columns, bool pad) {
  std::size_t count = 0;
  std::size_t pos = 0;
  std::size_t cut = 0;  // where the text ends if it must be cut
  while (pos < line.size()) {
    if (count + 1 == columns) cut = pos;
    pos += char_length(decode_utf8(line, pos));
    ++count;
    if (count > columns) break;
  }
  if (count > columns) return std::string(line.substr(0, cut)) + "\u2026";
  std::string out(line);
  if (pad) out.append(columns - count, ' ');
  return out;
}

std::string for_terminal(std::string_view text) {
  return rewrite(
      text, [](char32_t cp) { return !is_c0_or_c1(cp); },
      [](std::string& out, std::string_view bytes, const CodePoint&) {
        for (const char c : bytes) append_hex_escape(out, "\\x", static_cast<unsigned char>(c));
      });
}

}  // namespace mailpipe::cli
