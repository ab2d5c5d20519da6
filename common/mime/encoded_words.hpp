#pragma once
// RFC 2047 encoded-words: how non-ASCII text goes into a header (Subject,
// display names) and comes back out.
//
// Encoding always says charset utf-8 and picks Q (readable) unless B is
// clearly shorter for the text. Each word is at most 75 characters (RFC 2047 2)
// and holds whole UTF-8 characters only (RFC 2047 5: a word must decode on
// its own). Q uses only the characters RFC 2047 5(3) allows in a phrase,
// so the same words are safe in Subject and in display names.
//
// Decoding accepts any of the charsets in charset.hpp, B and Q in either
// case, drops white space between adjacent words (RFC 2047 6.2) and joins
// the bytes of adjacent words of one charset before converting, so a
// character split across words by a sloppy encoder still decodes.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mailpipe::mime {

// RFC 2047 2: an encoded-word is at most 75 characters.
constexpr std::size_t max_encoded_word = 75;

// True when `text` cannot go into a header as it is: non-ASCII or control
// bytes, or something that a reader would take for an encoded-word.
bool needs_encoded_words(std::string_view text);

// `text` is valid UTF-8. The first word is at most `first_limit`
// characters (room left on the header's first line), the others at most
// 75. Empty text gives no words.
std::vector<std::string> encode_words(std::string_view text, std::size_t first_limit = max_encoded_word);

// A header value with its encoded-words decoded, as UTF-8. Text outside
// encoded-words is kept as it is (invalid UTF-8 there becomes U+FFFD).
std::string decode_encoded_words(std::string_view value);

}  // namespace mailpipe::mime
