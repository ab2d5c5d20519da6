#include "mua/compose/input_files.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/mime/media_types.hpp"
#include "common/smtp/address.hpp"
#include "common/text/utf8_strings.hpp"
#include "mua/cli/exit_status.hpp"

namespace mailpipe::mua {

std::string read_input_stream(std::istream& in, const std::string& name) {
  std::string data;
  char chunk[65536];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    data.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max_input_bytes) {
      throw Failure(Exit::failed, name + " is larger than " + std::to_string(max_input_bytes / (1024 * 1024)) + " MiB");
    }
  }
  if (in.bad()) throw Failure(Exit::failed, "cannot read " + name + ": " + std::strerror(errno));
  return data;
}

std::string read_input_file(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw Failure(Exit::failed, path + " is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Failure(Exit::failed, "cannot open " + path + ": " + std::strerror(errno));
  return read_input_stream(in, path);
}

AttachmentSpec parse_attachment_spec(std::string_view text) {
  AttachmentSpec spec{std::string(text), std::nullopt};
  const std::size_t colon = text.rfind(':');
  if (colon != std::string_view::npos && mime::is_media_type(text.substr(colon + 1))) {
    spec.path = std::string(text.substr(0, colon));
    spec.media_type = smtp::lowercase_ascii(text.substr(colon + 1));
    if (spec.media_type->starts_with("multipart/")) {
      throw Failure(Exit::usage, "--attach " + std::string(text) + ": a file cannot be a multipart");
    }
  }
  if (spec.path.empty()) throw Failure(Exit::usage, "--attach needs a file name");
  return spec;
}

Attachment load_attachment(const AttachmentSpec& spec) {
  Attachment attachment;
  std::string_view name = spec.path;
  if (const std::size_t slash = name.rfind('/'); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  if (name.empty()) throw Failure(Exit::usage, "--attach " + spec.path + ": not a file name");
  attachment.filename = replace_invalid_utf8(name);
  attachment.media_type = spec.media_type ? *spec.media_type : mime::media_type_for_filename(name);
  attachment.data = read_input_file(spec.path);
  return attachment;
}

}  // namespace mailpipe::mua
