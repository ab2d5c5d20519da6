#include "common/mime/mailbox.hpp"

#include <cstring>

#include "common/mime/encoded_words.hpp"
#include "common/smtp/address.hpp"

namespace mailpipe::mime {
namespace {

// RFC 5322 2.1.1: no header line past 998 characters, so no address either.
constexpr std::size_t max_address = 998;

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_high(char c) { return static_cast<unsigned char>(c) >= 0x80; }
// RFC 5322 3.2.3 atext.
bool is_atext(char c) { return is_alnum(c) || (c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr); }

bool valid_dot_atom(std::string_view text) {
  if (text.empty() || text.front() == '.' || text.back() == '.') return false;
  char previous = 0;
  for (char c : text) {
    if (c == '.' && previous == '.') return false;
    if (!(c == '.' || is_atext(c) || is_high(c))) return false;
    previous = c;
  }
  return true;
}

// RFC 5322 3.2.4 quoted-string, without folding white space.
bool valid_quoted_local(std::string_view text) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (text[i] == '\\') {
      if (++i + 1 >= text.size()) return false;
      if (static_cast<unsigned char>(text[i]) < 0x20 || text[i] == 0x7F) return false;
      continue;
    }
    if (text[i] == '"' || byte < 0x20 || byte == 0x7F) return false;
  }
  return true;
}

bool valid_domain(std::string_view domain) {
  if (domain.size() >= 2 && domain.front() == '[' && domain.back() == ']') {
    for (char c : domain.substr(1, domain.size() - 2)) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte <= 0x20 || byte >= 0x7F || c == '[' || c == ']' || c == '\\') return false;
    }
    return domain.size() > 2;
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label = domain.substr(start, dot == std::string_view::npos ? domain.npos : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!(is_alnum(c) || c == '-' || is_high(c))) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A display name as typed: "Name" with quotes and backslashes, or bare.
// Empty `error` when it is fine.
std::string parse_display_name(std::string_view text, std::string& error) {
  text = trim(text);
  std::string name;
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    for (std::size_t i = 1; i + 1 < text.size(); ++i) {
      if (text[i] == '\\' && i + 2 < text.size()) ++i;
      name += text[i];
    }
  } else {
    name = std::string(text);
  }
  if (!smtp::valid_utf8(name)) error = "the name is not valid UTF-8";
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    // A CR or LF here would start a header of the user's making.
    if (byte < 0x20 || byte == 0x7F) error = "the name holds a control character";
  }
  return name;
}

bool plain_phrase(std::string_view name) {
  for (char c : name) {
    if (!(is_atext(c) || c == ' ')) return false;
  }
  return true;
}

}  // namespace

bool valid_address(std::string_view address) {
  if (address.empty() || address.size() > max_address || !smtp::valid_utf8(address)) return false;
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  if (!(local.front() == '"' ? valid_quoted_local(local) : valid_dot_atom(local))) return false;
  return valid_domain(domain);
}

std::string_view address_domain(std::string_view address) {
  const std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

std::variant<Mailbox, std::string> parse_mailbox(std::string_view text) {
  using Result = std::variant<Mailbox, std::string>;
  text = trim(text);
  Mailbox mailbox;
  std::string_view address = text;
  if (!text.empty() && text.back() == '>') {
    const std::size_t open = text.rfind('<');
    if (open == std::string_view::npos) return Result(std::in_place_index<1>, "no \"<\" before \">\"");
    address = text.substr(open + 1, text.size() - open - 2);
    std::string error;
    mailbox.display_name = parse_display_name(text.substr(0, open), error);
    if (!error.empty()) return Result(std::in_place_index<1>, error);
  }
  if (!valid_address(address)) {
    return Result(std::in_place_index<1>, "\"" + std::string(address) + "\" is not a mail address (local@domain)");
  }
  mailbox.address = std::string(address);
  return mailbox;
}

std::vector<HeaderToken> mailbox_tokens(const Mailbox& mailbox) {
  std::vector<HeaderToken> tokens;
  const std::string_view name = trim(mailbox.display_name);
  if (name.empty()) {
    tokens.push_back({mailbox.address, true});
    return tokens;
  }
  if (needs_encoded_words(name)) {
    for (std::string& word : encode_words(name)) tokens.push_back({std::move(word), true});
  } else if (plain_phrase(name)) {
    std::size_t start = 0;
    while (start < name.size()) {
      std::size_t end = name.find(' ', start);
      if (end == std::string_view::npos) end = name.size();
      if (end > start) tokens.push_back({std::string(name.substr(start, end - start)), true});
      start = end + 1;
    }
  } else {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    tokens.push_back({quoted + "\"", true});
  }
  tokens.push_back({"<" + mailbox.address + ">", true});
  return tokens;
}

}  // namespace mailpipe::mime
