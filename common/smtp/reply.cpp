#include "common/smtp/reply.hpp"

namespace mailpipe::smtp {

std::string Reply::wire() const {
  std::string out;
  std::string_view rest = text;
  const std::string code_text = std::to_string(code);
  while (true) {
    const size_t nl = rest.find('\n');
    const bool last = nl == std::string_view::npos;
    out += code_text;
    out += last ? ' ' : '-';
    if (!enhanced.empty()) {
      out += enhanced;
      out += ' ';
    }
    out += last ? rest : rest.substr(0, nl);
    out += "\r\n";
    if (last) break;
    rest.remove_prefix(nl + 1);
  }
  return out;
}

v1::Status Reply::to_status() const {
  v1::Status status;
  status.set_code(static_cast<uint32_t>(code));
  status.set_enhanced(enhanced);
  status.set_text(text);
  return status;
}

Reply Reply::from_status(const v1::Status& status) {
  // Status arrives from another process: keep it to one safe line.
  std::string text;
  for (char c : status.text()) text += (c == '\r' || c == '\n') ? ' ' : c;
  int code = static_cast<int>(status.code());
  if (code < 200 || code > 599) code = 451;
  return Reply{code, status.enhanced(), text};
}

}  // namespace mailpipe::smtp
