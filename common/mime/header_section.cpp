#include "common/mime/header_section.hpp"

#include <strings.h>

namespace mailpipe::mime {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

HeaderSection split_header_section(std::string_view entity, std::size_t max_fields) {
  HeaderSection section;
  std::size_t pos = 0;
  bool ended = false;
  std::string name;
  std::string value;
  bool have_field = false;
  auto finish_field = [&] {
    if (!have_field) return;
    have_field = false;
    if (section.fields.size() >= max_fields) {
      section.too_many_fields = true;
      return;
    }
    section.fields.push_back({std::move(name), std::string(trim(value))});
    name.clear();
    value.clear();
  };
  while (pos < entity.size()) {
    std::size_t end = entity.find('\n', pos);
    const std::size_t next = end == std::string_view::npos ? entity.size() : end + 1;
    if (end == std::string_view::npos) end = entity.size();
    std::string_view line = entity.substr(pos, end - pos);
    if (line.ends_with('\r')) line.remove_suffix(1);
    pos = next;
    if (line.empty()) {
      ended = true;
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (have_field) value += line;  // RFC 5322 2.2.3: unfolding removes only the line break
      continue;
    }
    finish_field();
    const std::size_t colon = line.find(':');
    // Not a field (an mbox "From " line, garbage): skipped, not fatal.
    if (colon == std::string_view::npos || colon == 0) continue;
    name = std::string(trim(line.substr(0, colon)));
    value = std::string(line.substr(colon + 1));
    have_field = !name.empty();
  }
  finish_field();
  section.body = ended ? entity.substr(pos) : std::string_view();
  return section;
}

std::size_t header_section_end(std::string_view message) {
  if (message.starts_with("\r\n")) return 0;
  const std::size_t blank = message.find("\r\n\r\n");
  if (blank == std::string_view::npos) return message.size();
  return blank + 2;
}

std::optional<std::string> field_value(const std::vector<HeaderField>& fields, std::string_view name) {
  for (const HeaderField& field : fields) {
    if (field.name.size() == name.size() && strncasecmp(field.name.data(), name.data(), name.size()) == 0) {
      return field.value;
    }
  }
  return std::nullopt;
}

}  // namespace mailpipe::mime
