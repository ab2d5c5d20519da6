#pragma once
// The media type of an attachment from its file name's extension: a
// small built-in table of the types people mail most, so the result does
// not depend on the host's /etc/mime.types. Anything else is
// application/octet-stream (RFC 2046 4.5.1: the safe default).
#include <string>
#include <string_view>

namespace mailpipe::mime {

std::string media_type_for_filename(std::string_view filename);

// "type/subtype" made of RFC 2045 tokens, as the user may give one after
// "--attach FILE:".
bool is_media_type(std::string_view text);

}  // namespace mailpipe::mime
