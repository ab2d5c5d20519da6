#include "mua/header_folding.hpp"

namespace mailpipe::mua {

std::string fold_header(std::string_view name, const std::vector<HeaderToken>& tokens) {
  std::string out;
  std::string line = std::string(name) + ":";
  bool first = true;
  for (const HeaderToken& token : tokens) {
    const std::size_t space = token.space_before ? 1 : 0;
    // Folding before an empty token would leave a line of white space
    // only, which RFC 5322 3.2.2 forbids.
    const bool can_fold = !first && token.space_before && !token.text.empty();
    if (can_fold && line.size() + space + token.text.size() > max_header_line) {
      out += line + "\r\n";
      line = " " + token.text;
    } else {
      if (token.space_before) line += ' ';
      line += token.text;
    }
    first = false;
  }
  out += line + "\r\n";
  return out;
}

}  // namespace mailpipe::mua
