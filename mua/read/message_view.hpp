#pragma once
// What `mpmail read` shows of a parsed message: the text/plain parts
// decoded to UTF-8 (transfer encoding undone, charset converted), and
// every other leaf part as an attachment with its decoded bytes.
#include <string>
#include <vector>

#include "common/mime/mime_parser.hpp"

namespace mailpipe::mua {

struct AttachmentView {
  std::string filename;    // as the message names it (UTF-8), maybe empty
  std::string media_type;
  std::string data;        // decoded bytes
};

struct MessageView {
  std::vector<std::string> texts;  // UTF-8, LF line ends
  std::vector<AttachmentView> attachments;
};

// Base64 and quoted-printable undone; 7bit, 8bit, binary and unknown
// encodings are taken as they are.
std::string decode_transfer_encoding(std::string_view body, std::string_view encoding);

MessageView view_message(const mime::MimePart& root);

}  // namespace mailpipe::mua
