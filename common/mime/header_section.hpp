#pragma once
// The header section of a message or MIME part, read from hostile bytes:
// fields split at the first empty line, folded lines joined (RFC 5322
// 2.2.3), CRLF or LF line ends (a Maildir file has LF), and a bound on
// the number of fields. Values stay raw bytes; decoding is the caller's.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailpipe::mime {

struct HeaderField {
  std::string name;   // as written
  std::string value;  // unfolded, trimmed, no CR or LF
};

struct HeaderSection {
  std::vector<HeaderField> fields;
  std::string_view body;  // after the empty line; empty when there is none
  bool too_many_fields = false;
};

HeaderSection split_header_section(std::string_view entity, std::size_t max_fields);

// For a message with CRLF line ends (as the MTA holds it): the offset just
// past the CRLF of the last header line, where the empty line starts, or
// the end of the message when there is no empty line.
std::size_t header_section_end(std::string_view message);

// The first field of that name (case-insensitive).
std::optional<std::string> field_value(const std::vector<HeaderField>& fields, std::string_view name);

}  // namespace mailpipe::mime
