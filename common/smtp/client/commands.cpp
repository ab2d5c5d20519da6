#include "common/smtp/client/commands.hpp"

#include "mailpipe.pb.h"

namespace mailpipe::smtp::client {
namespace {

// Bytes that would split or bend a command line: CR and LF (a second
// command), NUL and other controls, and the brackets of the path.
bool safe_on_the_wire(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '<' || c == '>') return false;
  }
  return true;
}

}  // namespace

std::string encode_xtext(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 33 || byte > 126 || c == '+' || c == '=') {
      out += '+';
      out += hex[byte >> 4];
      out += hex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> mail_from_command(std::string_view sender, const MailParameters& parameters) {
  if (!safe_on_the_wire(sender)) return std::nullopt;
  std::string command = "MAIL FROM:<" + std::string(sender) + ">";
  if (parameters.size) command += " SIZE=" + std::to_string(parameters.size);
  if (parameters.eightbit) command += " BODY=8BITMIME";
  if (parameters.smtputf8) command += " SMTPUTF8";
  if (parameters.ret_full) command += " RET=FULL";
  if (!parameters.envid.empty()) command += " ENVID=" + encode_xtext(parameters.envid);
  return command + "\r\n";
}

std::optional<std::string> rcpt_to_command(std::string_view recipient, const RcptParameters& parameters) {
  if (!safe_on_the_wire(recipient)) return std::nullopt;
  std::string command = "RCPT TO:<" + std::string(recipient) + ">";
  const uint32_t notify = parameters.notify;
  if (notify & v1::NOTIFY_NEVER) {
    command += " NOTIFY=NEVER";
  } else if (notify != 0) {
    std::string list;
    if (notify & v1::NOTIFY_SUCCESS) list += ",SUCCESS";
    if (notify & v1::NOTIFY_FAILURE) list += ",FAILURE";
    if (notify & v1::NOTIFY_DELAY) list += ",DELAY";
    if (!list.empty()) command += " NOTIFY=" + list.substr(1);
  }
  const std::size_t semicolon = parameters.orcpt.find(';');
  if (semicolon != std::string::npos) {
    const std::string_view type = std::string_view(parameters.orcpt).substr(0, semicolon);
    if (!safe_on_the_wire(type) || type.find_first_of(" =") != std::string_view::npos) return std::nullopt;
    command += " ORCPT=" + std::string(type) + ";" + encode_xtext(parameters.orcpt.substr(semicolon + 1));
  }
  return command + "\r\n";
}

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 5);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n' && i > 0 && message[i - 1] == '\r';
  }
  if (!message.empty() && !message.ends_with("\r\n")) out += "\r\n";
  out += ".\r\n";
  return out;
}

}  // namespace mailpipe::smtp::client
