#include "common/mime/quoted_printable.hpp"

#include <vector>
#include "common/text/hex.hpp"

namespace mailpipe::mime {
namespace {

std::string escaped(char c) {
  std::string out;
  append_hex_escape(out, "=", static_cast<unsigned char>(c));
  return out;
}

// One line (no CRLF in it) as encoded pieces, each written whole.
std::vector<std::string> encode_line(std::string_view line) {
  std::vector<std::string> pieces;
  pieces.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    const auto byte = static_cast<unsigned char>(c);
    const bool last = i + 1 == line.size();
    const bool from_line = i == 0 && line.starts_with("From ");
    if ((c == ' ' || c == '\t') && !last) {
      pieces.emplace_back(1, c);
    } else if (byte >= 33 && byte <= 126 && c != '=' && !from_line) {
      pieces.emplace_back(1, c);
    } else {
      pieces.push_back(escaped(c));
    }
  }
  return pieces;
}

void append_wrapped(std::string& out, const std::vector<std::string>& pieces) {
  std::size_t length = 0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const std::string& piece = pieces[i];
    const bool last = i + 1 == pieces.size();
    // Room for the soft break's "=" unless this piece ends the line.
    const std::size_t limit = last ? max_qp_line : max_qp_line - 1;
    if (length + piece.size() > limit) {
      out += "=\r\n";
      length = 0;
    }
    out += piece;
    length += piece.size();
  }
}

}  // namespace

std::string qp_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t end = text.find("\r\n", pos);
    const std::string_view line = text.substr(pos, end == std::string_view::npos ? text.npos : end - pos);
    append_wrapped(out, encode_line(line));
    if (end == std::string_view::npos) break;
    out += "\r\n";
    pos = end + 2;
  }
  return out;
}

std::string qp_decode(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  std::size_t pos = 0;
  while (pos < encoded.size()) {
    std::size_t end = encoded.find('\n', pos);
    const bool has_break = end != std::string_view::npos;
    if (!has_break) end = encoded.size();
    std::string_view line = encoded.substr(pos, end - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    // Rule 3: white space at the end of an encoded line was added in transit.
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    // Rule 5: an "=" that ends the line is a soft line break (no hex
    // digit is "=", so it never ends an escape).
    const bool soft_break = line.ends_with('=');
    if (soft_break) line.remove_suffix(1);
    out += decode_hex_escapes(line, '=');
    if (has_break && !soft_break) out += "\r\n";
    pos = end + 1;
  }
  return out;
}

}  // namespace mailpipe::mime
