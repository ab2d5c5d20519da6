#include "mua/compose/text_body.hpp"

#include "common/mime/quoted_printable.hpp"

namespace mailpipe::mua {
namespace {

// RFC 5322 2.1.1: lines SHOULD be at most 78 characters; longer ones go
// quoted-printable, which keeps them intact through any transport.
constexpr std::size_t max_7bit_line = 78;

bool fits_7bit(std::string_view text) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80 || byte == 0) return false;
    if (text[i] == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') return false;  // lone CR
      line = 0;
      ++i;
      continue;
    }
    if (++line > max_7bit_line) return false;
  }
  return true;
}

}  // namespace

std::string with_crlf_line_ends(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

EncodedText encode_text_body(std::string_view text) {
  std::string content = with_crlf_line_ends(text);
  if (fits_7bit(content)) return {"7bit", std::move(content)};
  return {"quoted-printable", mime::qp_encode(content)};
}

}  // namespace mailpipe::mua
