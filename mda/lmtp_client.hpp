#pragma once
// Delivery to an LMTP server (RFC 2033), e.g. Dovecot's lmtp: one session
// per Deliver and server, all its recipients in one transaction.
//
//   connect, 220 greeting, LHLO, MAIL FROM (BODY=8BITMIME, SMTPUTF8 when
//   the envelope has them and the server offers them), RCPT TO for each
//   recipient, DATA, the dot-stuffed message, then ONE reply per accepted
//   recipient after the final dot (RFC 2033 4.2: the LMTP difference from
//   SMTP), QUIT.
//
// The message goes as the MTA gave it (CRLF): the LMTP server is the final
// delivery agent and adds Return-Path and Delivered-To itself. Every reply
// maps to an outcome: 2xx DELIVERED, 4xx TEMPFAIL, 5xx PERMFAIL, each with
// the server's code, enhanced code and text. No session (connect refused,
// no greeting, timeout, connection lost) is TEMPFAIL 451 4.4.1 naming the
// server, a server that breaks the protocol (a reply no step asked for)
// 451 4.4.2, so the MTA keeps the message. The dialogue is the common
// client core's (common/smtp/client): the same strict state machine and
// bounded reply parser as the relay. The whole session is bounded by the
// rule's timeout_ms.
#include <asio.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "mailpipe.pb.h"

namespace mailpipe::mda {

struct LmtpTarget {
  std::string server;  // as configured, for texts and logs
  asio::generic::stream_protocol::endpoint endpoint;
  std::chrono::milliseconds timeout{60000};
};

struct LmtpMessage {
  const v1::Envelope* envelope = nullptr;
  std::vector<std::string> recipients;
  const std::string* message = nullptr;  // CRLF line ends, not dot-stuffed
};

// One result per recipient, in the order of message.recipients.
asio::awaitable<std::vector<v1::RecipientResult>> deliver_by_lmtp(const LmtpTarget& target,
                                                                  const std::string& lhlo_name,
                                                                  const LmtpMessage& message);


}  // namespace mailpipe::mda
