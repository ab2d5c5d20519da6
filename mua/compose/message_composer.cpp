#include "mua/compose/message_composer.hpp"

#include "common/mime/base64_lines.hpp"
#include "common/mime/boundary.hpp"
#include "common/mime/header_fields.hpp"
#include "common/mime/header_folding.hpp"
#include "common/mime/message_date.hpp"
#include "common/mime/rfc2231.hpp"
#include "mua/compose/text_body.hpp"

namespace mailpipe::mua {
namespace {

constexpr std::string_view preamble = "This is a multi-part message in MIME format.\r\n";
constexpr std::string_view boundary_prefix = "=_mpmail_";

// "Name: value; p1; p2\r\n" with each parameter free to fold onto a line.
std::string parameter_field(std::string_view name, std::string_view value,
                            const std::vector<std::string>& parameters) {
  std::vector<mime::HeaderToken> tokens{{std::string(value), true}};
  for (const std::string& parameter : parameters) {
    tokens.back().text += ';';
    tokens.push_back({parameter, true});
  }
  return mime::fold_header(name, tokens);
}

struct EncodedPart {
  std::string header;
  std::string body;
};

EncodedPart text_part(std::string_view text) {
  EncodedText encoded = encode_text_body(text);
  return {"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: " + encoded.transfer_encoding + "\r\n",
          std::move(encoded.content)};
}

// ASCII without NUL in lines of at most 998 characters (RFC 5322 2.1.1).
bool is_7bit_message(std::string_view data) {
  std::size_t line = 0;
  for (char c : data) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == 0 || byte >= 0x80) return false;
    line = c == '\n' ? 0 : line + 1;
    if (line > 998) return false;
  }
  return true;
}

EncodedPart attachment_part(const Attachment& attachment) {
  const std::vector<std::string> name = mime::encode_parameter("name", attachment.filename);
  const std::vector<std::string> filename = mime::encode_parameter("filename", attachment.filename);
  std::string media_type = attachment.media_type;
  std::string encoding = "base64";
  std::string body;
  if (media_type.starts_with("message/")) {
    // RFC 2046 5.2.1: a message/rfc822 body is never base64. A message in
    // 7 bits goes as it is; anything else travels as opaque bytes.
    if (is_7bit_message(attachment.data)) {
      encoding = "7bit";
      body = with_crlf_line_ends(attachment.data);
    } else {
      media_type = "application/octet-stream";
    }
  }
  if (encoding == "base64") body = mime::base64_lines(attachment.data);
  // Content-Type's name= is for readers that predate RFC 2183.
  std::string header = parameter_field("Content-Type", media_type, name);
  header += parameter_field("Content-Disposition", "attachment", filename);
  header += "Content-Transfer-Encoding: " + encoding + "\r\n";
  return {std::move(header), std::move(body)};
}

}  // namespace

std::string new_message_id(const mime::Mailbox& from, std::time_t now, const std::string& random_token) {
  return "<" + std::to_string(now) + "." + random_token + "@" + std::string(mime::address_domain(from.address)) + ">";
}

std::string compose_message(const Draft& draft, const std::function<std::string()>& random_token) {
  std::string message = "Date: " + mime::rfc5322_date(draft.date) + "\r\n";
  message += mime::address_field("From", {draft.from});
  message += mime::address_field("To", draft.to);
  message += mime::address_field("Cc", draft.cc);
  if (!draft.subject.empty()) message += mime::subject_field(draft.subject);
  message += "Message-ID: " + draft.message_id + "\r\n";
  message += "User-Agent: mpmail\r\n";
  message += "MIME-Version: 1.0\r\n";

  const EncodedPart text = text_part(draft.body);
  if (draft.attachments.empty()) {
    return message + text.header + "\r\n" + text.body;
  }
  std::vector<EncodedPart> parts{text};
  for (const Attachment& attachment : draft.attachments) parts.push_back(attachment_part(attachment));
  std::vector<std::string_view> contents;
  for (const EncodedPart& part : parts) {
    contents.push_back(part.header);
    contents.push_back(part.body);
  }
  const std::string boundary = mime::choose_boundary(contents, boundary_prefix, random_token);
  message += parameter_field("Content-Type", "multipart/mixed", {"boundary=\"" + boundary + "\""});
  message += "\r\n";
  message += preamble;
  for (const EncodedPart& part : parts) {
    // RFC 2046 5.1.1: the CRLF before "--boundary" belongs to the boundary.
    message += "\r\n--" + boundary + "\r\n" + part.header + "\r\n" + part.body;
  }
  message += "\r\n--" + boundary + "--\r\n";
  return message;
}

}  // namespace mailpipe::mua
