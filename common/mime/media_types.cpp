#include "common/mime/media_types.hpp"

#include <array>
#include <cstring>
#include <utility>

#include "common/smtp/address.hpp"

namespace mailpipe::mime {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 15> table = {{
    {"txt", "text/plain"},
    {"html", "text/html"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},        // RFC 6713
    {"tar", "application/x-tar"},
    {"json", "application/json"},      // RFC 8259
    {"xml", "application/xml"},        // RFC 7303
    {"csv", "text/csv"},               // RFC 7111
    {"ics", "text/calendar"},          // RFC 5545
    {"eml", "message/rfc822"},
}};

// RFC 2045 5.1 token: printable ASCII but space and tspecials.
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F || std::strchr("()<>@,;:\\\"/[]?=", c) != nullptr) return false;
  }
  return true;
}

}  // namespace

std::string media_type_for_filename(std::string_view filename) {
  const std::size_t dot = filename.rfind('.');
  if (dot != std::string_view::npos && dot + 1 < filename.size()) {
    const std::string extension = smtp::lowercase_ascii(filename.substr(dot + 1));
    for (const auto& [known, type] : table) {
      if (extension == known) return std::string(type);
    }
  }
  return "application/octet-stream";
}

bool is_media_type(std::string_view text) {
  const std::size_t slash = text.find('/');
  return slash != std::string_view::npos && is_token(text.substr(0, slash)) && is_token(text.substr(slash + 1));
}

}  // namespace mailpipe::mime
