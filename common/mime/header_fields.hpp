#pragma once
// The header fields mpmail writes whose values come from the user:
// Subject (unstructured, RFC 5322 3.6.5) and address lists (From, To, Cc;
// RFC 5322 3.6.2, 3.6.3), folded to 78 characters, with RFC 2047
// encoded-words for what is not plain ASCII.
#include <string>
#include <string_view>
#include <vector>

#include "common/mime/mailbox.hpp"

namespace mailpipe::mime {

// "Subject: ...\r\n" (possibly several lines). `subject` is valid UTF-8.
std::string subject_field(std::string_view subject);

// "To: a <x@y>, b@z\r\n" (possibly several lines); "" for no mailboxes.
std::string address_field(std::string_view name, const std::vector<Mailbox>& mailboxes);

}  // namespace mailpipe::mime
