#include "common/smtp/client_text.hpp"

namespace mailpipe::smtp {

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

void split_enhanced(Reply& reply) {
  const std::string& t = reply.text;
  std::size_t i = 0;
  auto digits = [&](std::size_t max) {
    std::size_t n = 0;
    while (i < t.size() && n < max && t[i] >= '0' && t[i] <= '9') ++i, ++n;
    return n;
  };
  if (t.size() < 5 || t[0] != static_cast<char>('0' + reply.code / 100)) return;
  i = 1;
  if (t[i++] != '.' || digits(3) == 0 || i >= t.size() || t[i++] != '.' || digits(3) == 0) return;
  if (i < t.size() && t[i] != ' ') return;
  reply.enhanced = t.substr(0, i);
  reply.text = i < t.size() ? t.substr(i + 1) : "";
}

}  // namespace mailpipe::smtp
