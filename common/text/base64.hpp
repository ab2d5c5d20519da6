#pragma once
// Base64 (RFC 4648 section 4), the one codec of the tree: SASL uses the
// strict decoder (common/auth/base64.hpp), MIME bodies and encoded-words
// the lenient one (common/mime/base64_lines.hpp adds MIME's line breaks).
#include <optional>
#include <string>
#include <string_view>

namespace mailpipe {

std::string base64_encode(std::string_view data);

// Strict: the standard alphabet, padding required, no whitespace, zero pad
// bits (RFC 4648 3.5), so one text decodes one way only. "" decodes to "".
std::optional<std::string> base64_decode(std::string_view text);

// Lenient, as RFC 2045 6.8 asks of MIME readers: line breaks and other
// characters outside the alphabet are ignored, decoding stops at the first
// "=", and missing padding is tolerated.
std::string base64_decode_lenient(std::string_view text);

}  // namespace mailpipe
