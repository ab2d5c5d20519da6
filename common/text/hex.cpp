#include "common/text/hex.hpp"

namespace mailpipe {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

void append_hex_escape(std::string& out, std::string_view escape, unsigned char byte) {
  static constexpr char digits[] = "0123456789ABCDEF";
  out += escape;
  out += digits[byte >> 4];
  out += digits[byte & 15];
}

std::optional<unsigned char> hex_byte_at(std::string_view text, std::size_t pos) {
  if (pos + 1 >= text.size()) return std::nullopt;
  const int high = hex_value(text[pos]);
  const int low = hex_value(text[pos + 1]);
  if (high < 0 || low < 0) return std::nullopt;
  return static_cast<unsigned char>(high * 16 + low);
}

std::string decode_hex_escapes(std::string_view text, char escape) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const std::optional<unsigned char> byte = text[i] == escape ? hex_byte_at(text, i + 1) : std::nullopt;
    if (byte) {
      out += static_cast<char>(*byte);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace mailpipe
