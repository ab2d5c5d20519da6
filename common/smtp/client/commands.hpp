#pragma once
// The commands every SMTP client sends (RFC 5321 4.1.1), built so that
// nothing that must not go on the wire does: an address or parameter with
// CR, LF, NUL, another control character, '<' or '>' would end the command
// early and start one of the attacker's choosing. Such a value is refused
// (nullopt) before anything is written.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailpipe::smtp::client {

struct MailParameters {
  uint64_t size = 0;        // SIZE= (RFC 1870); 0: not sent
  bool eightbit = false;    // BODY=8BITMIME (RFC 6152)
  bool smtputf8 = false;    // SMTPUTF8 (RFC 6531)
  bool ret_full = false;    // RET=FULL (RFC 3461 4.3)
  std::string envid;        // ENVID= (RFC 3461 4.4), xtext-encoded here
};

struct RcptParameters {
  uint32_t notify = 0;      // v1::NOTIFY_* bits (RFC 3461 4.1); 0: not sent
  std::string orcpt;        // "rfc822;addr" (RFC 3461 4.2); the address is xtext-encoded here
};

// "MAIL FROM:<sender> ...\r\n".
std::optional<std::string> mail_from_command(std::string_view sender, const MailParameters& parameters);
// "RCPT TO:<recipient> ...\r\n".
std::optional<std::string> rcpt_to_command(std::string_view recipient, const RcptParameters& parameters);

// RFC 3461 4: "+" and two uppercase hex digits for anything outside
// "!".."~", "+" and "=".
std::string encode_xtext(std::string_view text);

// RFC 5321 4.5.2: a "." at the start of a line gets another "."; the result
// ends with CRLF "." CRLF (a missing final CRLF is added). Only CRLF starts
// a line.
std::string dot_stuff(std::string_view message);

}  // namespace mailpipe::smtp::client
