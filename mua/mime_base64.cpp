#include "mua/mime_base64.hpp"

#include <array>
#include <cstdint>

#include "common/auth/base64.hpp"

namespace mailpipe::mua {
namespace {

constexpr std::size_t line_length = 76;  // RFC 2045 6.8: at most 76 characters

constexpr std::array<int8_t, 256> make_table() {
  constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::array<int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return table;
}
constexpr auto decode_table = make_table();

}  // namespace

std::string base64_lines(std::string_view data) {
  const std::string encoded = auth::base64_encode(data);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / line_length * 2 + 2);
  for (std::size_t pos = 0; pos < encoded.size(); pos += line_length) {
    out.append(encoded, pos, line_length);
    out += "\r\n";
  }
  return out;
}

std::string base64_decode_lenient(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') break;  // padding: the data has ended
    const int value = decode_table[static_cast<unsigned char>(c)];
    if (value < 0) continue;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    if (++count == 4) {
      out += static_cast<char>((bits >> 16) & 0xFF);
      out += static_cast<char>((bits >> 8) & 0xFF);
      out += static_cast<char>(bits & 0xFF);
      bits = 0;
      count = 0;
    }
  }
  // A final group of 2 or 3 characters still holds 1 or 2 bytes; a single
  // character holds none.
  if (count == 2) {
    out += static_cast<char>((bits >> 4) & 0xFF);
  } else if (count == 3) {
    out += static_cast<char>((bits >> 10) & 0xFF);
    out += static_cast<char>((bits >> 2) & 0xFF);
  }
  return out;
}

}  // namespace mailpipe::mua
