#pragma once
// The few bits of JSON `mailpipectl --json` writes (RFC 8259). Written
// here rather than pulled in as a dependency: the output is a handful of
// strings, numbers and booleans.
#include <string>
#include <string_view>

namespace mailpipe::ctl {

// `text` as a JSON string, quotes included. Quotes, backslashes and
// control bytes are escaped (RFC 8259 section 7); valid UTF-8 passes
// through as it is; each byte that is not valid UTF-8 becomes U+FFFD, so
// the document is always valid UTF-8 for any parser.
std::string json_string(std::string_view text);

}  // namespace mailpipe::ctl
