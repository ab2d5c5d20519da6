#pragma once
// Content-Type and Content-Disposition values (RFC 2045 5.1, RFC 2183 2)
// read from hostile bytes: "type/subtype; name=value; name="quoted"" with
// comments skipped, RFC 2231 parameters joined and decoded.
#include <map>
#include <string>
#include <string_view>

namespace mailpipe::mime {

struct ContentField {
  std::string value;                          // lowercased: "multipart/mixed", "attachment"
  std::map<std::string, std::string> params;  // lowercased names, UTF-8 values
};

ContentField parse_content_field(std::string_view raw);

}  // namespace mailpipe::mime
