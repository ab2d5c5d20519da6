#include "common/mime/base64_lines.hpp"

#include "common/text/base64.hpp"

namespace mailpipe::mime {
namespace {

constexpr std::size_t line_length = 76;  // RFC 2045 6.8: at most 76 characters

}  // namespace

std::string base64_lines(std::string_view data) {
  const std::string encoded = base64_encode(data);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / line_length * 2 + 2);
  for (std::size_t pos = 0; pos < encoded.size(); pos += line_length) {
    out.append(encoded, pos, line_length);
    out += "\r\n";
  }
  return out;
}

}  // namespace mailpipe::mime
