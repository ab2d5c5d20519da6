#pragma once
// One SMTP command line (RFC 5321 4.1.1), parsed into a type. Parameters
// of MAIL and RCPT are the ESMTP extensions we implement: SIZE (RFC 1870),
// BODY (RFC 6152), SMTPUTF8 (RFC 6531), RET/ENVID/NOTIFY/ORCPT (RFC 3461),
// AUTH (RFC 4954 5). Anything else is refused with the precise reply.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/smtp/address.hpp"
#include "common/smtp/reply.hpp"
#include "mailpipe.pb.h"

namespace mailpipe::smtp {

enum class Verb { helo, ehlo, mail, rcpt, data, rset, noop, quit, vrfy, help, starttls, auth, expn, bdat };

struct MailParameters {
  std::optional<uint64_t> size;
  v1::BodyType body = v1::BODY_7BIT;
  bool smtputf8 = false;
  std::optional<bool> ret_full;  // RET=FULL / RET=HDRS
  std::string envid;             // xtext-decoded
  std::string auth;              // AUTH= mailbox, xtext-decoded, or "<>"
};

struct RcptParameters {
  uint32_t notify = 0;  // v1::NotifyFlag bits; 0 = not given
  std::string orcpt;    // "rfc822;bob@example.test", xtext-decoded
};

struct Command {
  Verb verb = Verb::noop;
  std::string argument;  // HELO/EHLO name, AUTH "MECH [initial]", VRFY/HELP text
  Address path;          // MAIL reverse-path, RCPT forward-path
  MailParameters mail;
  RcptParameters rcpt;
};

struct CommandError {
  Reply reply;
};

// `line` is without its CRLF. `smtputf8_transaction`: the current MAIL had
// SMTPUTF8, so RCPT paths may be UTF-8.
std::variant<Command, CommandError> parse_command(std::string_view line, bool smtputf8_transaction = false);

// RFC 3461 4: xtext ("+" followed by two uppercase hex digits encodes a byte).
std::optional<std::string> decode_xtext(std::string_view text);

}  // namespace mailpipe::smtp
