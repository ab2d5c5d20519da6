#pragma once
// A small MIME parser for `mpmail read` (RFC 2045, 2046): multipart
// nesting, boundaries, Content-Type and Content-Disposition with RFC 2231
// parameters. It reads hostile input: nesting depth, number of parts and
// header fields are bounded, a broken structure is reported as a problem
// and read as far as it goes, and nothing is ever read out of bounds.
// Parts point into the caller's buffer, which must outlive them.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/mime/header_section.hpp"

namespace mailpipe::mime {

struct MimeLimits {
  std::size_t max_depth = 16;      // multipart inside multipart
  std::size_t max_parts = 500;     // in the whole message
  std::size_t max_fields = 1000;   // per header section
  std::size_t max_boundary = 200;  // RFC 2046 says 70; be generous, not unbounded
};

struct MimePart {
  std::vector<HeaderField> fields;
  std::string media_type = "text/plain";  // lowercased "type/subtype"
  std::string charset;                    // the charset parameter, if any
  std::string transfer_encoding = "7bit"; // lowercased
  std::string disposition;                // lowercased "attachment", "inline" or ""
  std::string filename;                   // UTF-8: disposition filename, else type name
  std::string_view body;                  // still transfer-encoded; leaves only
  std::vector<MimePart> children;         // multipart only

  bool is_multipart() const { return media_type.starts_with("multipart/"); }
};

struct ParsedMessage {
  MimePart root;
  std::vector<std::string> problems;  // what was broken, for the reader to see
};

ParsedMessage parse_mime(std::string_view message, const MimeLimits& limits = {});

}  // namespace mailpipe::mime
