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

namespace {

// RFC 3463: class "." subject "." detail, 1-3 digits each, class 2, 4 or 5.
bool valid_enhanced(std::string_view text) {
  if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') return false;
  int digits = 0;
  int dots = 1;
  for (char c : text.substr(2)) {
    if (c == '.') {
      if (digits == 0 || ++dots > 2) return false;
      digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return dots == 2 && digits > 0;
}

}  // namespace

Reply Reply::from_status(const v1::Status& status) {
  // Status arrives from another process (maybe another host, or a custom
  // MDA) and goes to an SMTP client as is: keep it to one line of
  // printable text, or a forged line ("...\r\n250 2.0.0 queued") could
  // follow our reply.
  std::string text;
  for (char c : status.text()) {
    const auto byte = static_cast<unsigned char>(c);
    text += (byte < 0x20 || byte == 0x7f) ? ' ' : c;
  }
  int code = static_cast<int>(status.code());
  if (code < 200 || code > 599) code = 451;
  std::string enhanced = valid_enhanced(status.enhanced()) && status.enhanced()[0] == std::to_string(code)[0]
                             ? status.enhanced()
                             : std::string();
  return Reply{code, std::move(enhanced), text};
}

}  // namespace mailpipe::smtp
