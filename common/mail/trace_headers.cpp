#include "common/mail/trace_headers.hpp"

#include <strings.h>

#include "common/mime/header_section.hpp"
#include "common/mime/message_date.hpp"

namespace mailpipe::mail {
namespace {

// The HELO name comes from the client: keep it to printable ASCII so it
// cannot break the header (the parser already bounded its length).
std::string header_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte > 0x20 && byte < 0x7f && c != '(' && c != ')') ? c : '?';
  }
  return out.empty() ? "unknown" : out;
}

// A field of this name starts here. RFC 5322 4.5: the obsolete syntax,
// which we must accept, allows white space before the colon. A line that
// starts with SP or HTAB continues the field above, so never matches.
bool starts_field(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || strncasecmp(line.data(), name.data(), name.size()) != 0) return false;
  std::size_t i = name.size();
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  return i < line.size() && line[i] == ':';
}

}  // namespace

std::string received_protocol(bool esmtp, bool tls, bool authenticated, bool smtputf8) {
  if (!esmtp) return "SMTP";
  std::string protocol = smtputf8 ? "UTF8SMTP" : "ESMTP";
  if (tls) protocol += 'S';
  if (authenticated) protocol += 'A';
  return protocol;
}

std::string received_header(const TraceInfo& trace) {
  std::string header = "Received: from " + header_safe(trace.helo) + " ([" + trace.client_address + "])\r\n";
  if (!trace.tls_version.empty()) {
    header += "\t(using " + trace.tls_version + " with cipher " + trace.tls_cipher + ")\r\n";
  }
  header += "\tby " + trace.hostname + " (mailpipe) with " + trace.protocol + " id " + trace.queue_id + ";\r\n";
  header += "\t" + mime::rfc5322_date(trace.when) + "\r\n";
  return header;
}

bool has_header(std::string_view message, std::string_view name) {
  const std::string_view headers = message.substr(0, mime::header_section_end(message));
  std::size_t pos = 0;
  while (pos < headers.size()) {
    const std::size_t end = headers.find("\r\n", pos);
    const std::string_view line = headers.substr(pos, end == std::string_view::npos ? headers.npos : end - pos);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.data(), name.data(), name.size()) == 0) {
      return true;
    }
    if (end == std::string_view::npos) break;
    pos = end + 2;
  }
  return false;
}

std::size_t count_received_headers(std::string_view message, std::size_t limit) {
  std::size_t count = 0;
  std::size_t pos = 0;
  // Line by line, so the scan ends at the empty line or at limit + 1.
  while (pos < message.size() && count <= limit) {
    const std::size_t end = message.find("\r\n", pos);
    const std::string_view line = message.substr(pos, end == std::string_view::npos ? message.npos : end - pos);
    if (line.empty()) break;  // the end of the header section
    if (starts_field(line, "Received")) ++count;
    if (end == std::string_view::npos) break;
    pos = end + 2;
  }
  return count;
}

std::string add_trace_headers(std::string_view message, const TraceInfo& trace, std::string_view unique) {
  std::string added;
  if (!has_header(message, "Date")) added += "Date: " + mime::rfc5322_date(trace.when) + "\r\n";
  if (!has_header(message, "Message-ID")) {
    added += "Message-ID: <" + trace.queue_id + "." + std::string(unique) + "@" + trace.hostname + ">\r\n";
  }
  const std::size_t end = mime::header_section_end(message);
  std::string out = received_header(trace);
  out.reserve(out.size() + message.size() + added.size() + 2);
  out += message.substr(0, end);
  // A header section without a final CRLF (a message with no body and no
  // trailing line end) must not glue our field onto the last line.
  if (end > 0 && !message.substr(0, end).ends_with("\r\n") && !added.empty()) out += "\r\n";
  out += added;
  out += message.substr(end);
  return out;
}

}  // namespace mailpipe::mail
