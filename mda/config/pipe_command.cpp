#include "mda/config/pipe_command.hpp"

#include <array>
#include <utility>

namespace mailpipe::mda {
namespace {

constexpr std::array<std::string_view, 5> placeholder_names{"recipient", "user", "domain", "sender", "queue_id"};

const std::string* value_of(std::string_view name, const PlaceholderValues& values) {
  if (name == "recipient") return &values.recipient;
  if (name == "user") return &values.user;
  if (name == "domain") return &values.domain;
  if (name == "sender") return &values.sender;
  if (name == "queue_id") return &values.queue_id;
  return nullptr;
}

bool has_control_byte(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

// Status texts go to the MTA's log and into DSNs: one safe line.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  return out;
}

v1::Status refusal(std::string_view name, const std::string& value) {
  v1::Status status;
  status.set_code(550);
  const bool sender = name == "sender";
  // RFC 3463: X.1.7 is the sender's address, X.1.3 the recipient's.
  status.set_enhanced(sender ? "5.1.7" : "5.1.3");
  std::string why = has_control_byte(value) ? "has a control character" : "starts with '-'";
  status.set_text(std::string(sender ? "Sender" : "Recipient") + " not allowed in the delivery command: {" +
                  std::string(name) + "} \"" + printable(value) + "\" " + why);
  return status;
}

}  // namespace

PlaceholderValues PlaceholderValues::of(const std::string& recipient, const v1::Envelope& envelope) {
  PlaceholderValues values;
  values.recipient = recipient;
  const std::size_t at = recipient.rfind('@');
  values.user = at == std::string::npos ? recipient : recipient.substr(0, at);
  values.domain = at == std::string::npos ? "" : recipient.substr(at + 1);
  values.sender = envelope.mail_from();
  values.queue_id = envelope.queue_id();
  return values;
}

std::string template_problem(std::string_view argument) {
  for (std::size_t i = 0; i < argument.size(); ++i) {
    if (argument[i] == '}') {
      if (i + 1 < argument.size() && argument[i + 1] == '}') {
        ++i;
        continue;
      }
      return "has a lone '}' (write \"}}\" for a brace)";
    }
    if (argument[i] != '{') continue;
    if (i + 1 < argument.size() && argument[i + 1] == '{') {
      ++i;
      continue;
    }
    const std::size_t close = argument.find('}', i);
    if (close == std::string_view::npos) return "has a '{' without '}' (write \"{{\" for a brace)";
    const std::string_view name = argument.substr(i + 1, close - i - 1);
    bool known = false;
    for (std::string_view candidate : placeholder_names) known = known || candidate == name;
    if (!known) {
      return "has an unknown placeholder {" + std::string(name) +
             "} (known: {recipient} {user} {domain} {sender} {queue_id})";
    }
    i = close;
  }
  return "";
}

ExpandedCommand expand_command(const std::vector<std::string>& command, const PlaceholderValues& values) {
  ExpandedCommand out;
  for (const std::string& argument : command) {
    std::string expanded;
    for (std::size_t i = 0; i < argument.size(); ++i) {
      const char c = argument[i];
      if ((c == '{' || c == '}') && i + 1 < argument.size() && argument[i + 1] == c) {
        expanded += c;
        ++i;
        continue;
      }
      if (c != '{') {
        expanded += c;
        continue;
      }
      const std::size_t close = argument.find('}', i);
      const std::string_view name = std::string_view(argument).substr(i + 1, close - i - 1);
      const std::string* value = value_of(name, values);
      if (value == nullptr) continue;  // template_problem() refused it at start-up
      if (value->starts_with('-') || has_control_byte(*value)) {
        out.argv.clear();
        out.refusal = refusal(name, *value);
        return out;
      }
      expanded += *value;
      i = close;
    }
    out.argv.push_back(std::move(expanded));
  }
  return out;
}

}  // namespace mailpipe::mda
