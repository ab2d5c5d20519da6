#include "common/text/split.hpp"

namespace mailpipe {

std::vector<std::string_view> split_at(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> pieces;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find(separator, pos);
    if (end == std::string_view::npos) end = text.size();
    pieces.push_back(text.substr(pos, end - pos));
    pos = end + separator.size();
  }
  return pieces;
}

std::vector<std::string_view> split_at(std::string_view text, char separator) {
  return split_at(text, std::string_view(&separator, 1));
}

std::vector<std::string_view> text_lines(std::string_view text) {
  std::vector<std::string_view> lines = split_at(text, '\n');
  for (std::string_view& line : lines) {
    if (line.ends_with('\r')) line.remove_suffix(1);
  }
  return lines;
}

}  // namespace mailpipe
