#pragma once
// Bytes written as two hex digits after an escape: "=XX" in
// quoted-printable (RFC 2045 6.7) and RFC 2047's Q encoding, "%XX" in
// RFC 2231 parameters, "\xXX" in terminal-safe text. Written uppercase, as
// RFC 2045 6.7 requires; read in either case, as readers should.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mailpipe {

// `escape` + the byte's two uppercase hex digits, appended to `out`.
void append_hex_escape(std::string& out, std::string_view escape, unsigned char byte);

// The byte whose two hex digits start at text[pos], or nullopt when there
// are not two hex digits there.
std::optional<unsigned char> hex_byte_at(std::string_view text, std::size_t pos);

// Every `escape` followed by two hex digits becomes that byte; everything
// else, an escape without two hex digits after it included, stays.
std::string decode_hex_escapes(std::string_view text, char escape);

}  // namespace mailpipe
