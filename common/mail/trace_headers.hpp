#pragma once
// The trace headers our front ends add: a Received field (RFC 5321 4.4,
// protocol names from RFC 3848: ESMTP, ESMTPS with TLS, ESMTPSA with TLS
// and AUTH), and for submission Date and Message-ID when the client left
// them out (RFC 6409 8.2, 8.3).
#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

namespace mailpipe::mail {

struct TraceInfo {
  std::string helo;
  std::string client_address;
  std::string tls_version;
  std::string tls_cipher;
  std::string hostname;  // ours
  std::string queue_id;
  std::time_t when = 0;
  std::string protocol = "ESMTPSA";  // RFC 3848 "with" keyword
};

// The Received "with" keyword: SMTP after HELO; ESMTP, with S for TLS and
// A for AUTH (RFC 3848); UTF8SMTP in place of ESMTP when the transaction
// used SMTPUTF8 (RFC 6531 3.7.3).
std::string received_protocol(bool esmtp, bool tls, bool authenticated, bool smtputf8);

// "Received: from ...\r\n\t...;\r\n\t<date>\r\n"
std::string received_header(const TraceInfo& trace);

// True when the header section (before the first empty line) has a field
// of this name (case-insensitive, continuation lines skipped).
bool has_header(std::string_view message, std::string_view name);

// How many Received fields (RFC 5321 4.4) the header section has, counting
// no further than limit + 1: enough to see a loop (RFC 5321 6.3) without
// reading a hostile header section to its end, and never past the first
// empty line. Field names are case-insensitive (RFC 5322 1.2.2); a folded
// continuation line (RFC 5322 2.2.3) is not a new field.
std::size_t count_received_headers(std::string_view message, std::size_t limit);

// Returns the message with the Received field on top, and Date and
// Message-ID appended to the header section when missing. `message` has
// CRLF line ends. `unique` makes the Message-ID unique beyond the queue id.
std::string add_trace_headers(std::string_view message, const TraceInfo& trace, std::string_view unique);

}  // namespace mailpipe::mail
