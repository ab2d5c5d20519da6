#pragma once
// UTF-8 decoding for text mailpipectl shows: the JSON escaper and the
// terminal filter both walk a string one code point at a time and must
// agree on what is invalid (overlongs, surrogates, beyond U+10FFFF,
// truncated sequences), as RFC 3629 section 3 defines it.
#include <cstddef>
#include <string>
#include <string_view>

namespace mailpipe::ctl {

struct CodePoint {
  char32_t value = 0;
  std::size_t length = 0;  // bytes it took; 0 when the byte at pos is not valid UTF-8
};

// The code point starting at text[pos] (pos < text.size()).
CodePoint decode_utf8(std::string_view text, std::size_t pos);

// U+FFFD, what an invalid byte becomes.
inline constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

}  // namespace mailpipe::ctl
