#include "mua/read/maildir_flags.hpp"

#include <algorithm>

namespace mailpipe::mua {
namespace {

constexpr std::string_view info_prefix = ":2,";

}  // namespace

std::string_view unique_part(std::string_view name) {
  const std::size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(0, colon);
}

std::string with_flag(std::string_view name, char flag) {
  const std::size_t colon = name.find(':');
  if (colon == std::string_view::npos) return std::string(name) + std::string(info_prefix) + flag;
  if (name.substr(colon, info_prefix.size()) != info_prefix) return std::string(name);
  std::string flags(name.substr(colon + info_prefix.size()));
  flags += flag;
  std::sort(flags.begin(), flags.end());
  flags.erase(std::unique(flags.begin(), flags.end()), flags.end());
  return std::string(name.substr(0, colon)) + std::string(info_prefix) + flags;
}

bool has_flag(std::string_view name, char flag) {
  const std::size_t colon = name.find(':');
  if (colon == std::string_view::npos || name.substr(colon, info_prefix.size()) != info_prefix) return false;
  return name.substr(colon + info_prefix.size()).find(flag) != std::string_view::npos;
}

}  // namespace mailpipe::mua
