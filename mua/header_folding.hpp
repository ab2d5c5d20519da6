#pragma once
// Writing one header field as lines of at most 78 characters (RFC 5322
// 2.1.1, 2.2.3): the value is a list of tokens that must stay whole (an
// encoded-word, an <address>, a MIME parameter), and a line is folded only
// at the white space before a token.
#include <string>
#include <string_view>
#include <vector>

namespace mailpipe::mua {

// RFC 5322 2.1.1: lines SHOULD be at most 78 characters without CRLF.
constexpr std::size_t max_header_line = 78;

struct HeaderToken {
  std::string text;
  bool space_before = true;  // one space separates it from the token before
};

// "Name: tok tok\r\n tok\r\n". The first token always stays on the first
// line; a token longer than a line gets a line of its own (RFC 5322
// allows up to 998 characters).
std::string fold_header(std::string_view name, const std::vector<HeaderToken>& tokens);

}  // namespace mailpipe::mua
