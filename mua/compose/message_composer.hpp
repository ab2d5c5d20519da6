#pragma once
// Composes an RFC 5322 message with MIME (RFC 2045, 2046): the header
// (Date, From, To, Cc, Subject, Message-ID, User-Agent, MIME-Version),
// the text as text/plain; charset=utf-8, and attachments in a
// multipart/mixed, base64 in 76-character lines with their file names in
// Content-Disposition (RFC 2183, RFC 2231 for non-ASCII names).
//
// A Draft has no Bcc field on purpose: blind copies are envelope
// recipients only (outgoing_mail.hpp), so they cannot leak into a header.
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "common/mime/mailbox.hpp"

namespace mailpipe::mua {

struct Attachment {
  std::string filename;    // UTF-8, no directory
  std::string media_type;  // "type/subtype"
  std::string data;
};

struct Draft {
  mime::Mailbox from;
  std::vector<mime::Mailbox> to;
  std::vector<mime::Mailbox> cc;
  std::string subject;  // valid UTF-8; no Subject field when empty
  std::string body;     // valid UTF-8
  std::vector<Attachment> attachments;
  std::time_t date = 0;
  std::string message_id;  // "<...@...>"
};

// "<1732012345.3f2a9c...@example.test>": unique by time and 128 random bits,
// under the sender's domain (RFC 5322 3.6.4).
std::string new_message_id(const mime::Mailbox& from, std::time_t now, const std::string& random_token);

// The whole message, CRLF line ends. `random_token` makes MIME boundaries
// (random_hex in use).
std::string compose_message(const Draft& draft, const std::function<std::string()>& random_token);

}  // namespace mailpipe::mua
