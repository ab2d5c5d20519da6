#pragma once
// Base64 as MIME bodies use it (RFC 2045 6.8): lines of 76 characters
// ending in CRLF, over the one codec in common/text/base64.hpp (whose
// base64_decode_lenient is the reader's side).
#include <string>
#include <string_view>

namespace mailpipe::mime {

// Every line, the last included, ends with CRLF; "" for empty data.
std::string base64_lines(std::string_view data);

}  // namespace mailpipe::mime
