#pragma once
// The submission dialogue (RFC 6409 over RFC 5321), written top to bottom
// as the RFCs tell it: greeting, EHLO, STARTTLS and EHLO again (RFC
// 3207), AUTH PLAIN or LOGIN (RFC 4954, RFC 4616), MAIL FROM with
// SMTPUTF8 / BODY=8BITMIME / SIZE only when needed and offered, RCPT for
// every recipient, DATA with dot-stuffing (RFC 5321 4.5.2), QUIT.
//
// The dialogue is the common client core's (common/smtp/client): the same
// strict step checks as the relay's and LMTP's; AUTH is mpmail's own.
//
// Never sends a password or mail in clear: without TLS it stops. When a
// recipient is refused it sends nothing (RSET) unless the request allows
// a partial send. Each outcome carries the exit status and the server's
// own reply, so the user sees what the server said.
#include <asio.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/smtp/client/channel.hpp"
#include "mua/cli/exit_status.hpp"
#include "mua/compose/outgoing_mail.hpp"

namespace mailpipe::mua {

struct Credentials {
  std::string_view user;
  std::string_view password;  // held by a Secret
};

struct SubmissionRequest {
  std::string server;     // as the user named it, for messages: "localhost:2587"
  std::string helo_name;  // our name for EHLO
  bool starttls = true;   // false: TLS is already on (implicit TLS)
  std::optional<Credentials> credentials;
  const OutgoingMail* mail = nullptr;
  bool partial = false;   // send to the accepted recipients when some are refused
  std::chrono::milliseconds timeout{60000};  // each step
  // For STARTTLS: the context, and the name the certificate must carry.
  asio::ssl::context* tls = nullptr;
  std::string tls_host;
  bool verify = true;
};

struct SubmissionOutcome {
  Exit exit = Exit::ok;
  std::string error;                 // what went wrong, one line, when not ok
  std::vector<std::string> refused;  // "recipient <x> refused by the server: 550 ..."
  std::string accepted;              // the server's reply to the message: "250 2.0.0 Ok: queued as ..."
};

asio::awaitable<SubmissionOutcome> submit(smtp::client::ClientChannel& channel, const SubmissionRequest& request);


// "535 5.7.8 Authentication credentials invalid", one line, safe to print.
std::string describe_reply(const smtp::Reply& reply);

}  // namespace mailpipe::mua
