#pragma once
// The bounce builder: turns "these recipients failed for good" (or "are
// still being retried", "were delivered", "were relayed to a server that
// reports nothing") into the delivery status notification the sender gets
// back (RFC 3464 report in an RFC 6522 multipart/report), ready to be
// queued like any other message.
//
// Inputs come partly from the network (remote replies, addresses, the
// returned message), so every value written into a header or report line is
// sanitized: no CR, LF or other control byte can start a line of its own, and
// long texts are folded so no line passes RFC 5322's 998 octets.
//
// Policy kept here (RFC 5321 6.1, RFC 3461 4.1): never bounce a bounce (null
// reverse-path), and honour each recipient's NOTIFY.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mta/report_kind.hpp"
#include "spool.pb.h"

namespace mailpipe::mta {

struct FailedRecipient {
  std::string address;     // final recipient
  std::string orcpt;       // RFC 3461 ORCPT as given ("rfc822;bob@x"), may be empty
  uint32_t notify = 0;     // v1::NotifyFlag bits from the envelope (0 = not given)
  v1::Status status;       // the last SMTP-shaped status, e.g. 550 5.1.1 "User unknown"
  std::string remote_mta;  // host that gave the answer, "" if none (e.g. DNS failure, expiry)
};

struct BounceInput {
  std::string reporting_mta;     // our hostname
  std::string queue_id;          // of the original message
  v1::Envelope envelope;         // of the original message
  std::string original_message;  // CRLF line ends
  std::vector<FailedRecipient> recipients;
  int64_t now_unix_ms = 0;
  uint64_t max_returned_bytes = 10 * 1024 * 1024;  // above: return headers only
  ReportKind kind = ReportKind::failed;  // every report but `failed` returns headers only
  int64_t retry_until_unix_ms = 0;       // delayed: Will-Retry-Until (RFC 3464 2.3.9)
};

// The DSN to send (RFC 3464), as a message for the spool: envelope with null
// sender (mail_from ""), one recipient = the original sender, queue_id =
// bounce_queue_id, received_unix_ms = now, body_type 8BITMIME when the
// returned content has 8-bit bytes.
// nullopt when no report may be sent: original sender is null (never bounce
// a bounce, RFC 5321 6.1 / 3461), or no recipient wants one (wants_report).
// Recipients that do not want one are left out of the report.
std::optional<v1::SpoolMessage> make_bounce(const BounceInput& input, const std::string& bounce_queue_id);

}  // namespace mailpipe::mta
