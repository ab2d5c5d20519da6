#include "common/mime/header_folding.hpp"

#include <algorithm>

namespace mailpipe::mime {

std::string fold_tokens(std::string_view start, const std::vector<HeaderToken>& tokens, const FoldStyle& style) {
  std::string out;
  std::string line(start);
  bool at_start = true;    // the line holds `start` only: the first token stays here
  bool at_indent = false;  // the line holds the indent only: no space, no fold
  auto end_line = [&] {
    out += line + "\r\n";
    line.assign(style.indent);
    at_indent = true;
  };
  for (const HeaderToken& token : tokens) {
    std::string_view text = token.text;
    if (text.empty()) {
      // Folding before an empty token would leave a line of white space
      // only, which RFC 5322 3.2.2 forbids.
      if (token.space_before) line += ' ';
      at_start = false;
      continue;
    }
    while (!text.empty()) {
      const std::size_t space = token.space_before && !at_indent ? 1 : 0;
      const bool may_fold = token.space_before && !at_start && !at_indent;
      const bool fits_a_line = style.indent.size() + text.size() <= style.hard_limit;
      if (may_fold && ((fits_a_line && line.size() + space + text.size() > style.width) ||
                       line.size() + space >= style.hard_limit)) {
        end_line();
        continue;
      }
      const std::size_t room = style.hard_limit - std::min(style.hard_limit, line.size() + space);
      if (space != 0) line += ' ';
      line += text.substr(0, room);
      text.remove_prefix(std::min(room, text.size()));
      at_start = false;
      at_indent = false;
      if (!text.empty()) end_line();
    }
  }
  out += line + "\r\n";
  return out;
}

std::string fold_header(std::string_view name, const std::vector<HeaderToken>& tokens) {
  return fold_tokens(std::string(name) + ":", tokens);
}

}  // namespace mailpipe::mime
