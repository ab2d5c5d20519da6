#include "common/smtp/command.hpp"

#include <array>
#include <vector>

#include "common/smtp/replies.hpp"

namespace mailpipe::smtp {
namespace {

constexpr std::size_t max_domain_argument = 255;
constexpr std::size_t max_envid = 100;  // RFC 3461 4.4
constexpr std::size_t max_orcpt = 500;  // RFC 3461 4.2
constexpr std::size_t max_shown = 64;   // echo of a client's parameter in a reply

struct VerbName {
  std::string_view name;
  Verb verb;
};
constexpr std::array<VerbName, 14> verbs = {{{"HELO", Verb::helo}, {"EHLO", Verb::ehlo}, {"MAIL", Verb::mail},
                                            {"RCPT", Verb::rcpt}, {"DATA", Verb::data}, {"RSET", Verb::rset},
                                            {"NOOP", Verb::noop}, {"QUIT", Verb::quit}, {"VRFY", Verb::vrfy},
                                            {"HELP", Verb::help}, {"STARTTLS", Verb::starttls},
                                            {"AUTH", Verb::auth}, {"EXPN", Verb::expn}, {"BDAT", Verb::bdat}}};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::vector<std::string_view> split_spaces(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') ++pos;
    if (pos >= text.size()) break;
    std::size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    words.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

CommandError error(Reply reply) { return CommandError{std::move(reply)}; }

// Client text echoed in a reply: printable ASCII only and bounded, so a
// reply line can never carry control or 8-bit bytes back to the wire.
std::string shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, max_shown)) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte >= 0x20 && byte < 0x7f ? c : '?';
  }
  if (text.size() > max_shown) out += "...";
  return out;
}

bool is_alpha_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// RFC 5321 4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
bool valid_keyword(std::string_view keyword) {
  if (keyword.empty() || !is_alpha_digit(keyword.front())) return false;
  for (char c : keyword) {
    if (!is_alpha_digit(c) && c != '-') return false;
  }
  return true;
}

// RFC 5321 4.1.2: esmtp-value = 1*(%d33-60 / %d62-126), and RFC 6531 3.3
// adds UTF-8; never empty, never "=" or a control byte.
bool valid_value(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 33 || byte == '=' || byte == 127) return false;
  }
  return true;
}

// RFC 3461 4.4: the ENVID, before xtext encoding, is printable US-ASCII.
bool printable_ascii(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 33 || byte > 126) return false;
  }
  return true;
}

// "FROM:<path> params" -> path and the parameter text. Tolerates one space
// after the colon ("MAIL FROM: <a@b>"), as Postfix and most servers do.
std::optional<std::pair<std::string_view, std::string_view>> split_path(std::string_view argument,
                                                                        std::string_view keyword) {
  if (argument.size() < keyword.size() || !iequals(argument.substr(0, keyword.size()), keyword)) return std::nullopt;
  std::string_view rest = argument.substr(keyword.size());
  if (rest.starts_with(' ')) rest.remove_prefix(1);
  if (!rest.starts_with('<')) return std::nullopt;
  // The path ends at the first '>' outside a quoted local part.
  bool quoted = false;
  for (std::size_t i = 1; i < rest.size(); ++i) {
    const char c = rest[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == '>' && !quoted) {
      std::string_view params = rest.substr(i + 1);
      if (!params.empty() && params.front() != ' ') return std::nullopt;
      return std::make_pair(rest.substr(0, i + 1), params);
    }
  }
  return std::nullopt;
}

std::optional<Reply> address_error(AddressError error, bool sender) {
  switch (error) {
    case AddressError::non_ascii_without_smtputf8: return replies::non_ascii_address();
    case AddressError::too_long:
      return sender ? replies::bad_sender_syntax("address too long") : replies::bad_address_syntax("address too long");
    case AddressError::syntax: break;
  }
  return sender ? replies::bad_sender_syntax("expected MAIL FROM:<address>")
                : replies::bad_address_syntax("expected RCPT TO:<address>");
}

std::optional<uint64_t> parse_size(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// Applies one MAIL parameter; a reply when it is refused.
std::optional<Reply> apply_mail_parameter(std::string_view keyword, std::optional<std::string_view> value,
                                          MailParameters& out) {
  const std::string key = upper(keyword);
  const std::string as_given = shown(value ? key + "=" + std::string(*value) : key);
  if (key == "SIZE") {
    auto size = value ? parse_size(*value) : std::nullopt;
    if (!size) return replies::syntax_error("SIZE");
    out.size = size;
  } else if (key == "BODY") {
    if (!value) return replies::syntax_error("BODY");
    const std::string body = upper(*value);
    if (body == "7BIT") {
      out.body = v1::BODY_7BIT;
    } else if (body == "8BITMIME") {
      out.body = v1::BODY_8BITMIME;
    } else if (body == "BINARYMIME") {
      // RFC 3030 needs BDAT, which we do not offer: a valid value we refuse.
      return replies::parameter_unrecognized(as_given);
    } else {
      return replies::syntax_error("BODY must be 7BIT or 8BITMIME");
    }
  } else if (key == "SMTPUTF8") {
    if (value) return replies::syntax_error("SMTPUTF8 takes no value");
    out.smtputf8 = true;
  } else if (key == "RET") {
    const std::string ret = value ? upper(*value) : "";
    if (ret == "FULL") {
      out.ret_full = true;
    } else if (ret == "HDRS") {
      out.ret_full = false;
    } else {
      return replies::syntax_error("RET must be FULL or HDRS");
    }
  } else if (key == "ENVID") {
    auto envid = value ? decode_xtext(*value) : std::nullopt;
    if (!envid || envid->empty() || envid->size() > max_envid || !printable_ascii(*envid)) {
      return replies::syntax_error("ENVID");
    }
    out.envid = std::move(*envid);
  } else if (key == "AUTH") {
    // RFC 4954 5: AUTH=<> or the xtext of an addr-spec; only kept, the
    // session decides whether to trust it.
    auto mailbox = value ? decode_xtext(*value) : std::nullopt;
    if (!mailbox || mailbox->empty()) return replies::syntax_error("AUTH=");
    out.auth = std::move(*mailbox);
  } else {
    return replies::parameter_unrecognized(as_given);
  }
  return std::nullopt;
}

std::optional<Reply> apply_rcpt_parameter(std::string_view keyword, std::optional<std::string_view> value,
                                          RcptParameters& out) {
  const std::string key = upper(keyword);
  if (key == "NOTIFY") {
    if (!value || value->empty()) return replies::syntax_error("NOTIFY");
    uint32_t notify = 0;
    std::size_t pos = 0;
    const std::string list = upper(*value);
    while (pos <= list.size()) {
      std::size_t comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      const std::string item = list.substr(pos, comma - pos);
      if (item == "NEVER") {
        notify |= v1::NOTIFY_NEVER;
      } else if (item == "SUCCESS") {
        notify |= v1::NOTIFY_SUCCESS;
      } else if (item == "FAILURE") {
        notify |= v1::NOTIFY_FAILURE;
      } else if (item == "DELAY") {
        notify |= v1::NOTIFY_DELAY;
      } else {
        return replies::syntax_error("NOTIFY takes NEVER or SUCCESS,FAILURE,DELAY");
      }
      pos = comma + 1;
    }
    // RFC 3461 4.1: NEVER must appear alone.
    if ((notify & v1::NOTIFY_NEVER) && notify != v1::NOTIFY_NEVER) return replies::syntax_error("NOTIFY=NEVER must be alone");
    out.notify = notify;
  } else if (key == "ORCPT") {
    // RFC 3461 4.2: addr-type ";" xtext, addr-type an atom, at most 500
    // characters. Kept decoded ("rfc822;bob@example.test").
    const std::size_t semicolon = value ? value->find(';') : std::string_view::npos;
    if (!value || value->size() > max_orcpt || semicolon == std::string_view::npos || semicolon == 0 ||
        !valid_keyword(value->substr(0, semicolon))) {
      return replies::syntax_error("ORCPT must be addr-type;address");
    }
    auto address = decode_xtext(value->substr(semicolon + 1));
    if (!address || address->empty()) return replies::syntax_error("ORCPT must be addr-type;address");
    out.orcpt = std::string(value->substr(0, semicolon + 1)) + *address;
  } else {
    return replies::parameter_unrecognized(shown(value ? key + "=" + std::string(*value) : key));
  }
  return std::nullopt;
}

// Splits "KEY=VALUE KEY2" and applies each parameter once.
template <typename Apply>
std::optional<Reply> parse_parameters(std::string_view text, Apply apply) {
  std::vector<std::string> seen;
  for (std::string_view word : split_spaces(text)) {
    const std::size_t equals = word.find('=');
    const std::string_view keyword = word.substr(0, equals);
    std::optional<std::string_view> value;
    if (equals != std::string_view::npos) value = word.substr(equals + 1);
    if (!valid_keyword(keyword)) return replies::syntax_error("bad parameter name " + shown(keyword));
    if (value && !valid_value(*value)) return replies::syntax_error("bad value for " + shown(upper(keyword)));
    const std::string key = upper(keyword);
    for (const auto& previous : seen) {
      if (previous == key) return replies::syntax_error("duplicate parameter " + shown(key));
    }
    seen.push_back(key);
    if (auto refusal = apply(keyword, value)) return refusal;
  }
  return std::nullopt;
}

std::variant<Command, CommandError> parse_mail(std::string_view argument) {
  auto split = split_path(argument, "FROM:");
  if (!split) return error(replies::bad_sender_syntax("expected MAIL FROM:<address>"));
  Command command;
  command.verb = Verb::mail;
  if (auto refusal = parse_parameters(split->second, [&](std::string_view key, std::optional<std::string_view> value) {
        return apply_mail_parameter(key, value, command.mail);
      })) {
    return error(*refusal);
  }
  auto path = parse_path(split->first, command.mail.smtputf8, true);
  if (auto* bad = std::get_if<AddressError>(&path)) return error(*address_error(*bad, true));
  command.path = std::move(std::get<Address>(path));
  return command;
}

std::variant<Command, CommandError> parse_rcpt(std::string_view argument, bool smtputf8) {
  auto split = split_path(argument, "TO:");
  if (!split) return error(replies::bad_address_syntax("expected RCPT TO:<address>"));
  Command command;
  command.verb = Verb::rcpt;
  if (auto refusal = parse_parameters(split->second, [&](std::string_view key, std::optional<std::string_view> value) {
        return apply_rcpt_parameter(key, value, command.rcpt);
      })) {
    return error(*refusal);
  }
  // RFC 5321 4.1.1.3: "<Postmaster>" without a domain must be accepted.
  if (iequals(split->first, "<postmaster>")) {
    command.path = Address{"postmaster", ""};
    return command;
  }
  auto path = parse_path(split->first, smtputf8, false);
  if (auto* bad = std::get_if<AddressError>(&path)) return error(*address_error(*bad, false));
  command.path = std::move(std::get<Address>(path));
  return command;
}

}  // namespace

std::optional<std::string> decode_xtext(std::string_view text) {
  auto hex = [](char h) -> int {
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      if (i + 2 > text.size() - 1) return std::nullopt;  // needs two hex digits
      const int high = hex(text[i + 1]);
      const int low = hex(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    // xchar: "!" .. "~" except "+" and "=".
    if (byte < 33 || byte > 126 || c == '=') return std::nullopt;
    out += c;
  }
  return out;
}

std::variant<Command, CommandError> parse_command(std::string_view line, bool smtputf8_transaction) {
  const std::size_t space = line.find(' ');
  const std::string_view word = line.substr(0, space);
  const std::string_view argument = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);

  const VerbName* found = nullptr;
  for (const auto& entry : verbs) {
    if (iequals(word, entry.name)) found = &entry;
  }
  if (found == nullptr) return error(replies::command_unrecognized());

  Command command;
  command.verb = found->verb;
  switch (found->verb) {
    case Verb::helo:
    case Verb::ehlo: {
      // Kept as given, not checked against the domain grammar: too many
      // real clients send a bare host name (Postfix accepts them too).
      // Bounded and free of control bytes because it reaches logs and the
      // Received header. Words after the first are ignored (RFC 5321 4.1.4).
      const auto words = split_spaces(argument);
      if (words.empty()) return error(replies::syntax_error(std::string(found->name) + " needs a domain or address literal"));
      if (words[0].size() > max_domain_argument) return error(replies::syntax_error("domain too long"));
      for (char c : words[0]) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 33 || byte == 127) return error(replies::syntax_error("control byte in domain"));
      }
      command.argument = std::string(words[0]);
      return command;
    }
    case Verb::mail: return parse_mail(argument);
    case Verb::rcpt: return parse_rcpt(argument, smtputf8_transaction);
    case Verb::data:
    case Verb::rset:
    case Verb::quit:
    case Verb::starttls:
      if (!split_spaces(argument).empty()) return error(replies::syntax_error(std::string(found->name) + " takes no argument"));
      return command;
    case Verb::auth: {
      // "MECH [initial-response]" (RFC 4954 4), surrounding spaces dropped.
      const std::size_t first = argument.find_first_not_of(' ');
      if (first == std::string_view::npos) return error(replies::syntax_error("AUTH needs a mechanism"));
      command.argument = std::string(argument.substr(first, argument.find_last_not_of(' ') - first + 1));
      return command;
    }
    case Verb::vrfy:
    case Verb::expn:
      // RFC 5321 4.1.1.6 and 4.1.1.7: "VRFY" SP String, "EXPN" SP String.
      if (split_spaces(argument).empty()) return error(replies::syntax_error(std::string(found->name) + " needs an argument"));
      command.argument = std::string(argument);
      return command;
    case Verb::noop:
    case Verb::help:
    case Verb::bdat:
      command.argument = std::string(argument);
      return command;
  }
  return error(replies::command_unrecognized());
}

}  // namespace mailpipe::smtp
