#include "common/smtp/address.hpp"

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>

#include "common/text/utf8.hpp"

namespace mailpipe::smtp {
namespace {

constexpr std::size_t max_local = 64;    // RFC 5321 4.5.3.1.1
constexpr std::size_t max_domain = 255;  // RFC 5321 4.5.3.1.2
constexpr std::size_t max_path = 256;    // RFC 5321 4.5.3.1.3, counting "<" and ">"
constexpr std::size_t max_label = 63;    // RFC 1035 2.3.4

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_high(char c) { return static_cast<unsigned char>(c) >= 0x80; }

// RFC 5322 3.2.3 atext.
bool is_atext(char c) { return is_alnum(c) || (c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr); }

bool valid_dot_string(std::string_view local, bool utf8) {
  if (local.empty() || local.front() == '.' || local.back() == '.') return false;
  char previous = 0;
  for (char c : local) {
    if (c == '.' && previous == '.') return false;
    if (!(c == '.' || is_atext(c) || (utf8 && is_high(c)))) return false;
    previous = c;
  }
  return true;
}

// RFC 5321 4.1.2 Quoted-string: DQUOTE *(qtextSMTP / "\" %d32-126) DQUOTE.
bool valid_quoted_string(std::string_view local, bool utf8) {
  if (local.size() < 2 || local.front() != '"' || local.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < local.size(); ++i) {
    const char c = local[i];
    if (c == '\\') {
      if (++i + 1 >= local.size()) return false;
      const auto escaped = static_cast<unsigned char>(local[i]);
      if (escaped < 32 || escaped > 126) return false;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    const bool qtext = byte == 32 || byte == 33 || (byte >= 35 && byte <= 91) || (byte >= 93 && byte <= 126);
    if (!qtext && !(utf8 && byte >= 0x80)) return false;
  }
  return true;
}

bool valid_label(std::string_view label, bool utf8) {
  if (label.empty() || label.front() == '-' || label.back() == '-') return false;
  bool ascii = true;
  for (char c : label) {
    if (is_high(c)) {
      if (!utf8) return false;
      ascii = false;
    } else if (!(is_alnum(c) || c == '-')) {
      return false;
    }
  }
  // A U-label (RFC 6531) may be longer in UTF-8 octets than its A-label;
  // only the ASCII form is bound by the DNS label length.
  return !ascii || label.size() <= max_label;
}

bool valid_ipv4(std::string_view text) {
  int parts = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('.', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view part = text.substr(pos, end - pos);
    if (part.empty() || part.size() > 3) return false;
    int value = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
    ++parts;
    pos = end + 1;
    if (end == text.size()) break;
  }
  return parts == 4;
}

bool valid_ipv6(std::string_view text) {
  // RFC 5321 4.1.3 IPv6-addr is the RFC 4291 text form, which inet_pton
  // parses exactly (including the embedded IPv4 form "::ffff:1.2.3.4").
  if (text.empty() || text.size() > 45) return false;  // INET6_ADDRSTRLEN - 1
  const std::string copy(text);
  unsigned char binary[16];
  return inet_pton(AF_INET6, copy.c_str(), binary) == 1;
}

// Domain = sub-domain *("." sub-domain) (RFC 5321 4.1.2), no literal.
bool valid_dotted_domain(std::string_view domain, bool utf8) {
  std::size_t pos = 0;
  for (;;) {
    const std::size_t dot = domain.find('.', pos);
    const std::string_view label = domain.substr(pos, dot == std::string_view::npos ? domain.npos : dot - pos);
    if (!valid_label(label, utf8)) return false;
    if (dot == std::string_view::npos) return true;
    pos = dot + 1;
  }
}

// A-d-l = At-domain *( "," At-domain ), At-domain = "@" Domain.
bool valid_source_route(std::string_view route, bool utf8) {
  std::size_t pos = 0;
  for (;;) {
    const std::size_t comma = route.find(',', pos);
    const std::string_view hop = route.substr(pos, comma == std::string_view::npos ? route.npos : comma - pos);
    if (hop.size() < 2 || hop.front() != '@' || hop.size() > max_domain + 1) return false;
    if (!valid_dotted_domain(hop.substr(1), utf8)) return false;
    if (comma == std::string_view::npos) return true;
    pos = comma + 1;
  }
}

bool valid_domain(std::string_view domain, bool utf8) {
  if (domain.empty()) return false;
  if (domain.front() == '[') {
    // RFC 5321 4.1.3 address literals.
    if (domain.back() != ']') return false;
    const std::string_view inner = domain.substr(1, domain.size() - 2);
    // ABNF literals are case-insensitive (RFC 5234 2.3), so "ipv6:" too.
    if (inner.size() > 5 && lowercase_ascii(inner.substr(0, 5)) == "ipv6:") return valid_ipv6(inner.substr(5));
    // General-address-literal (Standardized-tag ":" ...) has no registered
    // tag besides IPv6; refusing it keeps odd bytes out of the envelope.
    return valid_ipv4(inner);
  }
  return valid_dotted_domain(domain, utf8);
}

bool has_high_byte(std::string_view text) {
  for (char c : text) {
    if (is_high(c)) return true;
  }
  return false;
}

}  // namespace

bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = decode_utf8(text, i).length;
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::variant<Address, AddressError> parse_path(std::string_view text, bool allow_utf8, bool allow_null) {
  if (text.size() > max_path) return AddressError::too_long;
  if (text.size() < 2 || text.front() != '<' || text.back() != '>') return AddressError::syntax;
  std::string_view inner = text.substr(1, text.size() - 2);
  if (inner.empty()) {
    if (allow_null) return Address{};
    return AddressError::syntax;
  }
  if (has_high_byte(inner)) {
    if (!allow_utf8) return AddressError::non_ascii_without_smtputf8;
    if (!valid_utf8(inner)) return AddressError::syntax;
  }
  // A-d-l (source route) "@a,@b:": obsolete, but RFC 5321 4.1.2 says
  // servers MUST accept it; checked, then ignored (RFC 5321 C).
  if (inner.front() == '@') {
    const std::size_t colon = inner.find(':');
    if (colon == std::string_view::npos || !valid_source_route(inner.substr(0, colon), allow_utf8)) {
      return AddressError::syntax;
    }
    inner.remove_prefix(colon + 1);
    if (inner.empty()) return AddressError::syntax;
  }
  const std::size_t at = inner.rfind('@');
  if (at == std::string_view::npos || at == 0) return AddressError::syntax;
  const std::string_view local = inner.substr(0, at);
  const std::string_view domain = inner.substr(at + 1);
  if (local.size() > max_local || domain.size() > max_domain) return AddressError::too_long;
  const bool local_ok = local.front() == '"' ? valid_quoted_string(local, allow_utf8) : valid_dot_string(local, allow_utf8);
  if (!local_ok || !valid_domain(domain, allow_utf8)) return AddressError::syntax;
  return Address{std::string(local), std::string(domain)};
}

std::string lowercase_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool same_mailbox(const Address& address, std::string_view user) {
  return !address.empty() && lowercase_ascii(address.str()) == lowercase_ascii(user);
}

}  // namespace mailpipe::smtp
