#pragma once
// Base64 as MIME bodies use it (RFC 2045 6.8). Encoding: lines of 76
// characters ending in CRLF. Decoding is lenient, as RFC 2045 asks of
// readers: line breaks and other characters outside the alphabet are
// ignored, and missing padding is tolerated (common/auth/base64 is the
// strict form for SASL).
#include <string>
#include <string_view>

namespace mailpipe::mua {

// Every line, the last included, ends with CRLF; "" for empty data.
std::string base64_lines(std::string_view data);

std::string base64_decode_lenient(std::string_view text);

}  // namespace mailpipe::mua
