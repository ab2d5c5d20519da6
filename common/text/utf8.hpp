#pragma once
// UTF-8 decoding, one copy for every place that walks text from the
// network or a file one code point at a time (SMTP paths, remote replies,
// mailpipectl's JSON and terminal output), so that all agree on what is
// invalid (overlongs, surrogates, beyond U+10FFFF, truncated sequences),
// as RFC 3629 section 3 defines it.
#include <cstddef>
#include <string>
#include <string_view>

namespace mailpipe {

struct CodePoint {
  char32_t value = 0;
  std::size_t length = 0;  // bytes it took; 0 when the byte at pos is not valid UTF-8
};

// The code point starting at text[pos] (pos < text.size()).
CodePoint decode_utf8(std::string_view text, std::size_t pos);

// U+FFFD, what an invalid byte becomes.
inline constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

}  // namespace mailpipe
