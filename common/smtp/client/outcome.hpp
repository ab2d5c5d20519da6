#pragma once
// A server's reply as a recipient's delivery outcome (STYLE 11: permanent
// or transient, the queue decides the rest), one mapping for the relay
// and the LMTP client: 2xx DELIVERED, 4xx TEMPFAIL, 5xx PERMFAIL, with the
// server's code, enhanced code (X.0.0 when it gave none) and text on one
// line of printable UTF-8 (it goes into protobuf strings and DSNs).
#include <string>

#include "common/smtp/reply.hpp"
#include "mailpipe.pb.h"

namespace mailpipe::smtp::client {

v1::RecipientResult recipient_result(const std::string& address, const Reply& reply);

// No valid answer for this recipient (the connection broke, or the server
// broke the protocol): 451 4.4.2 with why, so the mail stays queued.
v1::RecipientResult no_answer(const std::string& address, const std::string& why);

}  // namespace mailpipe::smtp::client
