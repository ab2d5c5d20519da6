#include "common/mime/charset.hpp"

#include <array>

#include "common/smtp/address.hpp"
#include "common/text/utf8_strings.hpp"

namespace mailpipe::mime {
namespace {

// windows-1252 0x80..0x9F (https://www.unicode.org/Public/MAPPINGS/VENDORS/MICSFT/WINDOWS/CP1252.TXT);
// the five unassigned positions become U+FFFD.
constexpr std::array<char32_t, 32> cp1252_high = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

}  // namespace

std::string canonical_charset(std::string_view name) {
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t' || name.front() == '"')) name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t' || name.back() == '"')) name.remove_suffix(1);
  const std::string lower = smtp::lowercase_ascii(name);
  if (lower == "utf-8" || lower == "utf8") return "utf-8";
  if (lower == "us-ascii" || lower == "ascii" || lower == "ansi_x3.4-1968") return "us-ascii";
  if (lower == "iso-8859-1" || lower == "iso8859-1" || lower == "iso_8859-1" || lower == "latin1" ||
      lower == "latin-1" || lower == "l1") {
    return "iso-8859-1";
  }
  if (lower == "windows-1252" || lower == "cp1252") return "windows-1252";
  return "";
}

std::optional<std::string> to_utf8(std::string_view bytes, std::string_view charset) {
  const std::string name = canonical_charset(charset);
  if (name == "utf-8") return replace_invalid_utf8(bytes);
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 4);
  if (name == "us-ascii") {
    for (char c : bytes) {
      if (static_cast<unsigned char>(c) < 0x80) {
        out += c;
      } else {
        append_utf8(out, 0xFFFD);
      }
    }
    return out;
  }
  if (name == "iso-8859-1" || name == "windows-1252") {
    // As the WHATWG Encoding Standard: iso-8859-1 is read as windows-1252,
    // since mailers label the one as the other and 0x80..0x9F would
    // otherwise be C1 control codes, never meant as text.
    for (char c : bytes) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte >= 0x80 && byte <= 0x9F) {
        append_utf8(out, cp1252_high[byte - 0x80]);
      } else {
        append_utf8(out, byte);
      }
    }
    return out;
  }
  return std::nullopt;
}

std::string to_utf8_or_guess(std::string_view bytes, std::string_view charset) {
  if (auto text = to_utf8(bytes, charset)) return *text;
  return replace_invalid_utf8(bytes);
}

}  // namespace mailpipe::mime
