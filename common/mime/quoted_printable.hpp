#pragma once
// Quoted-printable (RFC 2045 6.7) for text bodies.
//
// Encoding: the input's CRLF line breaks stay hard line breaks; every
// encoded line is at most 76 characters, longer ones continue after a
// soft break ("=" CRLF); "=", non-ASCII and control bytes, a lone CR or
// LF, and white space at the end of a line become =XX. "From " at the
// start of a line is written "=46rom " so no mbox on the way mangles it.
//
// Decoding is lenient (RFC 2045 6.7 note 3): LF alone ends a line too,
// white space at the end of a line is dropped, and an "=" that starts no
// valid escape is kept as it is.
#include <string>
#include <string_view>

namespace mailpipe::mime {

// RFC 2045 6.7 rule 5: encoded lines at most 76 characters.
constexpr std::size_t max_qp_line = 76;

std::string qp_encode(std::string_view text);
std::string qp_decode(std::string_view encoded);

}  // namespace mailpipe::mime
