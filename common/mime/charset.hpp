#pragma once
// Text in the charsets mail commonly declares, converted to UTF-8 for
// display: utf-8, us-ascii, iso-8859-1 and windows-1252 (which mailers
// often label iso-8859-1, so it is read as such). Bytes that are not valid in the charset
// become U+FFFD; nothing is dropped silently.
#include <optional>
#include <string>
#include <string_view>

namespace mailpipe::mime {

// Lowercased and trimmed; aliases mapped to the names above ("latin1",
// "utf8", "ascii", "cp1252" ...). Empty when unknown.
std::string canonical_charset(std::string_view name);

// nullopt when the charset is not one we know.
std::optional<std::string> to_utf8(std::string_view bytes, std::string_view charset);

// As to_utf8, but an unknown charset is read as UTF-8 (with U+FFFD for
// what is not), which shows ASCII text right whatever the label says.
std::string to_utf8_or_guess(std::string_view bytes, std::string_view charset);

}  // namespace mailpipe::mime
