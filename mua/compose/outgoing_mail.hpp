#pragma once
// What `mpmail send` hands to the server: the composed message and its
// envelope. To, Cc and Bcc all become RCPTs; only To and Cc are in the
// header (RFC 5322 3.6.3: this is the "Bcc removed" way of sending blind
// copies, the one that cannot leak them).
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "common/mime/mailbox.hpp"
#include "mua/compose/message_composer.hpp"

namespace mailpipe::mua {

using mime::Mailbox;

struct MailRequest {
  Mailbox from;
  std::vector<Mailbox> to;
  std::vector<Mailbox> cc;
  std::vector<Mailbox> bcc;
  std::string subject;
  std::string body;
  std::vector<Attachment> attachments;
  std::time_t now = 0;
};

struct OutgoingMail {
  std::string message;  // CRLF line ends, not dot-stuffed
  std::string mail_from;
  std::vector<std::string> recipients;  // each address once, in order given
  bool needs_smtputf8 = false;          // an envelope address is not ASCII (RFC 6531)
  bool eight_bit = false;               // the message holds bytes >= 0x80
};

OutgoingMail prepare_mail(const MailRequest& request, const std::function<std::string()>& random_token);

}  // namespace mailpipe::mua
