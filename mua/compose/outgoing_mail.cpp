#include "mua/compose/outgoing_mail.hpp"

#include "common/smtp/address.hpp"
#include "common/text/utf8_strings.hpp"

namespace mailpipe::mua {

OutgoingMail prepare_mail(const MailRequest& request, const std::function<std::string()>& random_token) {
  Draft draft;
  draft.from = request.from;
  draft.to = request.to;
  draft.cc = request.cc;
  draft.subject = request.subject;
  draft.body = request.body;
  draft.attachments = request.attachments;
  draft.date = request.now;
  draft.message_id = new_message_id(request.from, request.now, random_token());

  OutgoingMail mail;
  mail.message = compose_message(draft, random_token);
  mail.mail_from = request.from.address;
  std::vector<std::string> seen;
  for (const auto* list : {&request.to, &request.cc, &request.bcc}) {
    for (const mime::Mailbox& mailbox : *list) {
      // The same address twice would be delivered twice by some servers.
      const std::string key = smtp::lowercase_ascii(mailbox.address);
      bool duplicate = false;
      for (const std::string& other : seen) duplicate = duplicate || other == key;
      if (duplicate) continue;
      seen.push_back(key);
      mail.recipients.push_back(mailbox.address);
    }
  }
  mail.needs_smtputf8 = !is_ascii(mail.mail_from);
  for (const std::string& recipient : mail.recipients) mail.needs_smtputf8 = mail.needs_smtputf8 || !is_ascii(recipient);
  mail.eight_bit = !is_ascii(mail.message);
  return mail;
}

}  // namespace mailpipe::mua
