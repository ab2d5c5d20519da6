#pragma once
// UTF-8 helpers for text that crosses the program's edges: headers we
// encode (RFC 2047 words must not split a character), and text from
// messages that we show (invalid sequences become U+FFFD).
#include <cstddef>
#include <string>
#include <string_view>

namespace mailpipe {

struct Utf8Char {
  char32_t code_point = 0;
  std::size_t length = 1;  // bytes; 1 for an invalid byte
  bool valid = false;
};

// The character starting at text[pos] (pos < text.size()). Overlong
// forms, surrogates and values past U+10FFFF are invalid (RFC 3629 3),
// as common/text/utf8.hpp decides for every process.
Utf8Char utf8_char_at(std::string_view text, std::size_t pos);

bool is_ascii(std::string_view text);
void append_utf8(std::string& out, char32_t code_point);
// Every invalid byte becomes U+FFFD.
std::string replace_invalid_utf8(std::string_view text);

// The longest prefix of at most `max_bytes` bytes that ends on a character
// boundary of valid UTF-8 (an invalid byte counts as one character).
std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes);

}  // namespace mailpipe
