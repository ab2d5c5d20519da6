#pragma once
// Base64 (RFC 4648 section 4) for SASL exchanges. Decoding is strict:
// the standard alphabet, padding required, no whitespace, zero pad bits
// (RFC 4648 3.5), so one text decodes one way only. "" decodes to "";
// RFC 4954's "=" for an empty response is the caller's to handle.
#include <optional>
#include <string>
#include <string_view>

namespace mailpipe::auth {

std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mailpipe::auth
