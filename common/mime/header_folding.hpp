#pragma once
// Writing one header field as lines of at most 78 characters (RFC 5322
// 2.1.1, 2.2.3): the value is a list of tokens that must stay whole (an
// encoded-word, an <address>, a MIME parameter), and a line is folded only
// at the white space before a token. mpmail's headers and the bounce
// builder's header and report lines (mta/bounce.cpp) are both folded here.
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace mailpipe::mime {

// RFC 5322 2.1.1: lines SHOULD be at most 78 characters without CRLF.
constexpr std::size_t max_header_line = 78;
// RFC 5322 2.1.1: and MUST be at most 998.
constexpr std::size_t max_line_octets = 998;

struct HeaderToken {
  std::string text;
  bool space_before = true;  // one space separates it from the token before
};

struct FoldStyle {
  std::size_t width = max_header_line;  // fold before a token that would pass it
  std::string_view indent = " ";        // starts each continuation line (white space, RFC 5322 2.2.3)
  // A token that cannot fit a line of this many characters is cut hard at
  // it. mpmail's tokens are short, so it sets no bound; the bounce builder
  // quotes a hostile peer's words and keeps to max_line_octets.
  std::size_t hard_limit = std::numeric_limits<std::size_t>::max();
};

// "start tok tok\r\n<indent>tok\r\n". The first token always stays on the
// first line; a token longer than a line gets a line of its own (RFC 5322
// allows up to 998 characters), or is cut at style.hard_limit.
std::string fold_tokens(std::string_view start, const std::vector<HeaderToken>& tokens, const FoldStyle& style = {});

// "Name: tok tok\r\n tok\r\n".
std::string fold_header(std::string_view name, const std::vector<HeaderToken>& tokens);

}  // namespace mailpipe::mime
