#pragma once
// What the SMTP-speaking clients (the mta's relay, the mda's LMTP, mpmail)
// do to text on the wire, one copy for all of them.
#include <string>
#include <string_view>

#include "common/smtp/reply.hpp"

namespace mailpipe::smtp {

// RFC 5321 4.5.2: a "." at the start of a line gets another "."; the result
// ends with CRLF "." CRLF (a missing final CRLF is added). Only CRLF starts
// a line.
std::string dot_stuff(std::string_view message);

// "250-2.1.0 Ok" -> enhanced "2.1.0" split off the text when it matches
// the basic code's class (RFC 2034); texts of several lines joined by '\n'.
void split_enhanced(Reply& reply);

}  // namespace mailpipe::smtp
