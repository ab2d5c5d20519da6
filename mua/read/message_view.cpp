#include "mua/read/message_view.hpp"

#include "common/mime/charset.hpp"
#include "common/mime/quoted_printable.hpp"
#include "common/text/base64.hpp"

namespace mailpipe::mua {
namespace {

std::string with_lf_line_ends(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  return out;
}

void collect(const mime::MimePart& part, MessageView& view) {
  if (part.is_multipart()) {
    for (const mime::MimePart& child : part.children) collect(child, view);
    return;
  }
  std::string data = decode_transfer_encoding(part.body, part.transfer_encoding);
  if (part.media_type == "text/plain" && part.disposition != "attachment") {
    // RFC 2046 4.1.2: no charset means us-ascii; 8-bit text without a
    // label is far more often UTF-8 these days, which to_utf8_or_guess tries.
    view.texts.push_back(with_lf_line_ends(mime::to_utf8_or_guess(data, part.charset.empty() ? "utf-8" : part.charset)));
    return;
  }
  view.attachments.push_back({part.filename, part.media_type, std::move(data)});
}

}  // namespace

std::string decode_transfer_encoding(std::string_view body, std::string_view encoding) {
  if (encoding == "base64") return base64_decode_lenient(body);
  if (encoding == "quoted-printable") return mime::qp_decode(body);
  return std::string(body);
}

MessageView view_message(const mime::MimePart& root) {
  MessageView view;
  collect(root, view);
  return view;
}

}  // namespace mailpipe::mua
