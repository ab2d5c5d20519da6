#pragma once
// The text of a message as it goes into a text/plain; charset=utf-8 part:
// 7bit when it is plain ASCII in short lines, quoted-printable otherwise
// (RFC 2045 6.7), so the message is 7-bit clean and needs no 8BITMIME.
#include <string>
#include <string_view>

namespace mailpipe::mua {

struct EncodedText {
  std::string transfer_encoding;  // "7bit" or "quoted-printable"
  std::string content;            // CRLF line ends; ends with CRLF unless empty
};

// Line ends become CRLF (a lone LF is a line end too, as on Unix); a lone
// CR is kept as a byte (QP writes it =0D). A last line without a line end
// gets one.
std::string with_crlf_line_ends(std::string_view text);

// `text` is valid UTF-8.
EncodedText encode_text_body(std::string_view text);

}  // namespace mailpipe::mua
