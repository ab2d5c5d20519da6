#pragma once
// The files `mpmail send` reads: the body (a file or stdin) and the
// attachments. Each is bounded, so a mistaken /dev/zero ends with a
// message instead of eating the machine's memory.
#include <cstddef>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "mua/compose/message_composer.hpp"

namespace mailpipe::mua {

// Far above what any submission server takes (the MSA's default is 25 MiB).
constexpr std::size_t max_input_bytes = 64 * 1024 * 1024;

// Throws Failure (Exit::failed) naming the file when it cannot be read or
// is larger than the bound.
std::string read_input_file(const std::string& path);
std::string read_input_stream(std::istream& in, const std::string& name);

struct AttachmentSpec {
  std::string path;
  std::optional<std::string> media_type;
};

// "FILE" or "FILE:type/subtype"; a colon not followed by a media type is
// part of the file name. Throws Failure (Exit::usage) for a multipart type.
AttachmentSpec parse_attachment_spec(std::string_view text);

// The file's bytes, its name without directories (invalid UTF-8 replaced)
// and its media type (given, or from the extension table).
Attachment load_attachment(const AttachmentSpec& spec);

}  // namespace mailpipe::mua
