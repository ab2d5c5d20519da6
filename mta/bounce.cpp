#include "mta/bounce.hpp"

#include <algorithm>
#include <ctime>
#include <limits>
#include <string_view>

#include "common/mime/boundary.hpp"
#include "common/mime/header_folding.hpp"
#include "common/mime/header_section.hpp"
#include "common/mime/message_date.hpp"
#include "common/text/split.hpp"
#include "common/text/utf8_strings.hpp"
#include "mailpipe.pb.h"

namespace mailpipe::mta {
namespace {

constexpr std::string_view crlf = "\r\n";
// RFC 5322 2.1.1: 998 octets is the hard limit for a line, 78 is what
// readers expect; we fold at the second and never pass the first.
constexpr std::size_t fold_width = mime::max_header_line;
constexpr std::size_t max_line = mime::max_line_octets;
// A remote reply can be long (several reply lines joined); more than this
// helps nobody reading a bounce and only lets a peer grow it.
constexpr std::size_t max_text_bytes = 2000;
// Keeps the boundary within RFC 2046 5.1.1's 70 characters.
constexpr std::size_t max_boundary_id = 40;

// Network bytes to one line of printable US-ASCII. Control bytes (CR, LF,
// NUL, ESC ...) become spaces so nothing can start a header or report line
// of its own (header injection); 8-bit bytes become '?' because the report
// parts are declared us-ascii. Runs of spaces collapse, ends are trimmed.
std::string sanitize(std::string_view in) {
  std::string out;
  out.reserve(std::min(in.size(), max_text_bytes + 3));
  for (const unsigned char raw : in) {
    char c = static_cast<char>(raw);
    if (raw < 0x20 || raw == 0x7f) c = ' ';
    if (raw >= 0x80) c = '?';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    if (out.size() >= max_text_bytes) {
      out += "...";
      break;
    }
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// For values that end up inside Message-ID, the boundary or a host name:
// keep only characters that are safe in every one of those places.
std::string token(std::string_view in, std::size_t limit) {
  std::string out;
  for (const char c : in) {
    if (out.size() >= limit) break;
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_';
    if (ok) out += c;
  }
  return out;
}

// Appends `first` + `text` folded at its spaces to lines of at most
// fold_width where they allow and never more than max_line; continuation
// lines start with `indent` (whitespace, so a folded header unfolds again,
// RFC 5322 2.2.3). A word longer than a line (a hostile peer's reply) is
// cut hard.
void append_folded(std::string& out, std::string_view first, std::string_view text, std::string_view indent) {
  std::vector<mime::HeaderToken> words;
  for (const std::string_view word : split_at(text, ' ')) {
    // `first` ends where the text starts: no space before the first word.
    if (!word.empty()) words.push_back({std::string(word), !words.empty()});
  }
  out += mime::fold_tokens(first, words, {.width = fold_width, .indent = indent, .hard_limit = max_line});
}

// RFC 5322 3.3 date in local time with a numeric zone.
std::string rfc5322_date(int64_t unix_ms) { return mime::rfc5322_date(static_cast<std::time_t>(unix_ms / 1000)); }

// RFC 3463 2: class "." subject "." detail. Only 4 and 5 make sense for a
// failure; anything else is replaced by one derived from the basic code.
// "2.0.0", "4.4.1", "5.1.1": RFC 3463 class.subject.detail.
bool valid_enhanced_code(std::string_view s) {
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return false;
  std::size_t dots = 0, digits = 0;
  for (std::size_t i = 2; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (digits == 0 || ++dots > 1) return false;
      digits = 0;
    } else if (s[i] >= '0' && s[i] <= '9') {
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return dots == 1 && digits > 0;
}

bool valid_failure_code(std::string_view s) { return valid_enhanced_code(s) && s[0] != '2'; }

// The Status line: the recipient's enhanced code when it fits the report
// (2.x.x delivered, 4.x.x delayed, 4 or 5 failed), else the class's x.0.0.
std::string dsn_status(const v1::Status& status, ReportKind kind) {
  const std::string& code = status.enhanced();
  switch (kind) {
    case ReportKind::delivered:
    case ReportKind::relayed: return valid_enhanced_code(code) && code[0] == '2' ? code : "2.0.0";
    case ReportKind::delayed: return valid_enhanced_code(code) && code[0] == '4' ? code : "4.0.0";
    case ReportKind::failed: break;
  }
  if (valid_failure_code(code)) return code;
  return status.code() / 100 == 4 ? "4.0.0" : "5.0.0";
}

// "550 5.1.1 User unknown" for an SMTP reply; just the text otherwise
// (DNS failure, expiry): there was no reply to quote.
std::string reply_text(const v1::Status& status) {
  std::string out;
  const bool smtp = status.code() >= 200 && status.code() <= 599;
  if (smtp) out = std::to_string(status.code());
  if (smtp && valid_enhanced_code(status.enhanced())) out += " " + status.enhanced();
  const std::string text = sanitize(status.text());
  if (!text.empty()) out += (out.empty() ? "" : " ") + text;
  return out;
}

// Can the original go back verbatim as message/rfc822? Only 7bit/8bit are
// allowed there (RFC 2046 5.2.1), so it must be lines of at most 998
// octets, CRLF only, no NUL (RFC 6152 2).
bool returnable_verbatim(std::string_view msg) {
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < msg.size(); ++i) {
    const char c = msg[i];
    if (c == '\0') return false;
    if (c == '\r' && (i + 1 >= msg.size() || msg[i + 1] != '\n')) return false;
    if (c == '\n' && (i == 0 || msg[i - 1] != '\r')) return false;
    if (c == '\n') {
      if (i - 1 - line_start > max_line) return false;
      line_start = i + 1;
    }
  }
  return msg.size() - line_start <= max_line;
}

// A header section made safe to embed: any CR, LF or CRLF ends a line, NUL
// becomes a space, an overlong line is folded (CRLF SP, RFC 5322 2.2.3),
// at most `limit` bytes kept, whole lines only.
std::string safe_headers(std::string_view in, uint64_t limit) {
  std::string out;
  std::size_t line_len = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ++i;
      out += crlf;
      line_len = 0;
      continue;
    }
    if (line_len >= max_line) {
      out += "\r\n ";
      line_len = 1;
    }
    out += c == '\0' ? ' ' : c;
    ++line_len;
  }
  if (line_len > 0) out += crlf;
  if (out.size() > limit) {
    const std::size_t cut = out.rfind(crlf, limit >= 2 ? limit - 2 : 0);
    out.resize(cut == std::string::npos ? 0 : cut + 2);
  }
  return out;
}

struct Returned {
  std::string_view content_type;
  std::string body;
  bool headers_only = false;
};

Returned returned_part(const BounceInput& input) {
  const std::string& msg = input.original_message;
  // Only a failure returns the message: the sender still has a delivered
  // or delayed one, and the headers say which it was.
  if (input.kind != ReportKind::failed) {
    return {"text/rfc822-headers", safe_headers(msg.substr(0, mime::header_section_end(msg)), input.max_returned_bytes),
            true};
  }
  // RET=HDRS cannot be told apart from no RET (Envelope.dsn_ret_full), so
  // like Postfix we return the whole message unless it is too large, or
  // could not travel unchanged inside message/rfc822.
  if (msg.size() <= input.max_returned_bytes && returnable_verbatim(msg)) {
    Returned out{"message/rfc822", msg, false};
    if (!out.body.empty() && out.body.back() != '\n') out.body += crlf;
    return out;
  }
  return {"text/rfc822-headers", safe_headers(msg.substr(0, mime::header_section_end(msg)), input.max_returned_bytes), true};
}

// A boundary found nowhere in the parts (RFC 2046 5.1.1 requires it): the
// bounce's queue id and a counter, so a bounce reads the same every time.
std::string choose_boundary(std::string_view id, const std::vector<std::string_view>& parts) {
  const std::string prefix = "=_mailpipe_bounce_" + token(id, max_boundary_id) + "_";
  // Each candidate is new, so the search ends: a part of n bytes holds at
  // most n of them.
  return mime::choose_boundary(parts, prefix, [n = 0u]() mutable { return std::to_string(n++); },
                               std::numeric_limits<std::size_t>::max());
}

std::string human_part(const std::string& host, ReportKind kind, const std::vector<const FailedRecipient*>& failed,
                       bool headers_only) {
  std::string out;
  out += "This is the mail system at host " + host + ".\r\n\r\n";
  if (kind != ReportKind::failed) {
    out += report_opening(kind);
    out += "\r\n";
  } else {
    out += "I'm sorry to have to inform you that your message could not\r\n";
    out += "be delivered to one or more recipients. ";
    out += headers_only ? "It was too large to return\r\nin full; its headers are attached below.\r\n\r\n"
                        : "It's attached below.\r\n\r\n";
    out += "For further assistance, please send mail to postmaster.\r\n\r\n";
    out += "If you do so, please include this problem report. You can\r\n";
    out += "delete your own text from the attached returned message.\r\n\r\n";
  }
  out += "                   The mail system\r\n";
  for (const FailedRecipient* r : failed) {
    // Everything here is network input, so it all goes through the folding
    // (none of it is a fixed-width prefix).
    std::string line = "<" + sanitize(r->address) + ">:";
    const std::string remote = sanitize(r->remote_mta);
    if (!remote.empty()) line += " host " + remote + " said:";
    const std::string reply = reply_text(r->status);
    if (!reply.empty()) {
      line += " " + reply;
    } else if (kind == ReportKind::failed) {
      line += " " + dsn_status(r->status, kind) + " delivery failed";
    }
    out += crlf;
    append_folded(out, "", line, "    ");
  }
  return out;
}

std::string status_part(const BounceInput& input, const std::string& host,
                        const std::vector<const FailedRecipient*>& failed) {
  std::string out;
  out += "Reporting-MTA: dns; " + host + "\r\n";
  append_folded(out, "X-Mailpipe-Queue-ID: ", sanitize(input.queue_id), " ");
  const std::string envid = sanitize(input.envelope.dsn_envid());
  if (!envid.empty()) append_folded(out, "Original-Envelope-Id: ", envid, " ");
  if (input.envelope.received_unix_ms() != 0) {
    out += "Arrival-Date: " + rfc5322_date(input.envelope.received_unix_ms()) + "\r\n";
  }
  const std::string now = rfc5322_date(input.now_unix_ms);
  for (const FailedRecipient* r : failed) {
    out += crlf;  // RFC 3464 2.1: blank line before each per-recipient block
    const std::string orcpt = sanitize(r->orcpt);
    if (!orcpt.empty()) append_folded(out, "Original-Recipient: ", orcpt, " ");
    append_folded(out, "Final-Recipient: rfc822; ", sanitize(r->address), " ");
    out += "Action: " + std::string(report_action(input.kind)) + "\r\n";
    out += "Status: " + dsn_status(r->status, input.kind) + "\r\n";
    const std::string remote = sanitize(r->remote_mta);
    if (!remote.empty()) append_folded(out, "Remote-MTA: dns; ", remote, " ");
    const std::string reply = reply_text(r->status);
    // RFC 3464 2.3.6: "smtp" is for an SMTP reply; a failure without one
    // (DNS, expiry) gets a private diagnostic type.
    const bool smtp = r->status.code() >= 200 && r->status.code() <= 599;
    if (!reply.empty()) append_folded(out, smtp ? "Diagnostic-Code: smtp; " : "Diagnostic-Code: X-mailpipe; ", reply, " ");
    out += "Last-Attempt-Date: " + now + "\r\n";
    if (input.kind == ReportKind::delayed && input.retry_until_unix_ms != 0) {
      out += "Will-Retry-Until: " + rfc5322_date(input.retry_until_unix_ms) + "\r\n";
    }
  }
  return out;
}

}  // namespace

std::optional<v1::SpoolMessage> make_bounce(const BounceInput& input, const std::string& bounce_queue_id) {
  const std::string& sender = input.envelope.mail_from();
  if (sender.empty()) return std::nullopt;  // never bounce a bounce: RFC 5321 6.1
  std::vector<const FailedRecipient*> failed;
  for (const FailedRecipient& r : input.recipients) {
    if (wants_report(input.kind, r.notify)) failed.push_back(&r);
  }
  if (failed.empty()) return std::nullopt;

  std::string host = token(input.reporting_mta, 255);
  if (host.empty()) host = "localhost";
  const Returned returned = returned_part(input);
  const bool eight_bit = !is_ascii(returned.body);
  const std::string human = human_part(host, input.kind, failed, returned.headers_only);
  const std::string report = status_part(input, host, failed);
  const std::string boundary = choose_boundary(bounce_queue_id, {human, report, returned.body});

  std::string msg;
  msg += "From: MAILER-DAEMON@" + host + " (Mail Delivery System)\r\n";
  append_folded(msg, "To: <", sanitize(sender) + ">", " ");
  msg += "Subject: " + std::string(report_subject(input.kind)) + "\r\n";
  msg += "Date: " + rfc5322_date(input.now_unix_ms) + "\r\n";
  msg += "Message-ID: <" + token(bounce_queue_id, 200) + "@" + host + ">\r\n";
  msg += "Auto-Submitted: auto-replied\r\n";  // RFC 3834 5: no auto-reply to this
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: multipart/report; report-type=delivery-status;\r\n";
  msg += "\tboundary=\"" + boundary + "\"\r\n";
  // RFC 2045 6.4: a multipart holding 8-bit content is itself 8bit.
  if (eight_bit) msg += "Content-Transfer-Encoding: 8bit\r\n";
  msg += "\r\nThis is a MIME-encapsulated message.\r\n";

  const std::string delimiter = "\r\n--" + boundary + "\r\n";
  msg += delimiter;
  msg += "Content-Description: Notification\r\n";
  msg += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
  msg += human;
  msg += delimiter;
  msg += "Content-Description: Delivery report\r\n";
  msg += "Content-Type: message/delivery-status\r\n\r\n";
  msg += report;
  msg += delimiter;
  msg += input.kind != ReportKind::failed ? "Content-Description: Message Headers\r\n"
         : returned.headers_only          ? "Content-Description: Undelivered Message Headers\r\n"
                                          : "Content-Description: Undelivered Message\r\n";
  msg += "Content-Type: " + std::string(returned.content_type) + "\r\n";
  if (eight_bit) msg += "Content-Transfer-Encoding: 8bit\r\n";
  msg += crlf;
  msg += returned.body;
  msg += "\r\n--" + boundary + "--\r\n";

  v1::SpoolMessage out;
  v1::Envelope& env = *out.mutable_envelope();
  env.set_mail_from("");  // RFC 5321 6.1 / RFC 3464 2: a DSN has a null sender
  env.add_recipients()->set_address(sender);
  env.set_queue_id(bounce_queue_id);
  env.set_received_unix_ms(input.now_unix_ms);
  env.set_helo_name(input.reporting_mta);
  env.set_body_type(eight_bit ? v1::BODY_8BITMIME : v1::BODY_7BIT);
  // A UTF-8 sender address can only be reached over SMTPUTF8 (RFC 6531).
  env.set_smtputf8(!is_ascii(sender));
  out.set_message(std::move(msg));
  return out;
}

}  // namespace mailpipe::mta
