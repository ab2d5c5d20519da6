#include "mda/maildir_delivery.hpp"

#include <cerrno>

#include "common/log/log.hpp"
#include "mda/maildir.hpp"

namespace mailpipe::mda {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A path component we are willing to create: [a-z0-9._+-], not starting
// with a dot (no ".", "..", hidden directories), at most 255 bytes.
bool safe_component(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Status texts may be passed to an SMTP client unchanged and file headers
// end at a newline: a CR, LF or other control byte from a hostile Deliver
// (or a file name) must not split a reply or forge a header.
std::string without_control_bytes(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = '?';
  }
  return out;
}

v1::Status status(uint32_t code, const char* enhanced, std::string_view text) {
  v1::Status out;
  out.set_code(code);
  out.set_enhanced(enhanced);
  out.set_text(without_control_bytes(text));
  return out;
}

v1::RecipientResult result(const std::string& address, v1::Outcome outcome, v1::Status status) {
  v1::RecipientResult out;
  out.set_address(address);
  out.set_outcome(outcome);
  *out.mutable_status() = std::move(status);
  return out;
}

}  // namespace

v1::Status status_for_write_error(const IoError& error) {
  // RFC 3463 4.3.1 "mail system full": the disk or the user's quota; both
  // may clear up, so the MTA keeps the message and retries.
  if (error.err == ENOSPC || error.err == EDQUOT) {
    return status(452, "4.3.1", "Insufficient system storage: " + error.what);
  }
  return status(451, "4.3.0", "Cannot write mailbox: " + error.what);
}

std::string maildir_content(const std::string& mail_from, const std::string& recipient, std::string_view message) {
  std::string content = "Return-Path: <" + without_control_bytes(mail_from) + ">\nDelivered-To: " +
                        without_control_bytes(recipient) + "\n";
  content.reserve(content.size() + message.size());
  std::size_t pos = 0;
  while (pos < message.size()) {
    const std::size_t crlf = message.find("\r\n", pos);
    if (crlf == std::string_view::npos) {
      content.append(message.substr(pos));
      break;
    }
    content.append(message.substr(pos, crlf - pos));
    content += '\n';
    pos = crlf + 2;
  }
  return content;
}

MaildirDelivery::MaildirDelivery(MaildirDeliveryConfig config) : config_(std::move(config)) {}

std::string MaildirDelivery::mailbox_path(const std::string& address) const {
  const std::size_t at = address.rfind('@');
  if (at == std::string::npos) return "";
  const std::string local = lowercase(std::string_view(address).substr(0, at));
  const std::string domain = lowercase(std::string_view(address).substr(at + 1));
  if (!safe_component(local) || !safe_component(domain)) return "";
  return config_.mail_root + "/" + domain + "/" + local;
}

v1::DeliverReply MaildirDelivery::deliver(const v1::Deliver& request) const {
  v1::DeliverReply reply;
  reply.set_delivery_id(request.delivery_id());
  for (const auto& recipient : request.recipients()) *reply.add_results() = deliver_to(request, recipient.address());
  return reply;
}

v1::RecipientResult MaildirDelivery::deliver_to(const v1::Deliver& request, const std::string& address) const {
  const v1::Envelope& envelope = request.envelope();
  const std::string path = mailbox_path(address);
  if (path.empty()) {
    log::warning("refused").kv("queue_id", envelope.queue_id()).kv("delivery_id", request.delivery_id())
        .kv("to", address).kv("method", "maildir").kv("dsn", "5.1.3").kv("reason", "mailbox name not safe as a path");
    return result(address, v1::PERMFAIL, status(550, "5.1.3", "Mailbox name not allowed: " + address));
  }
  Maildir maildir(path);
  std::variant<std::string, IoError> delivered = IoError{};
  if (auto error = maildir.create_if_missing()) {
    delivered = *error;
  } else {
    delivered = maildir.deliver_as(maildir_content(envelope.mail_from(), address, request.message()),
                                   Maildir::unique_name(config_.hostname));
  }
  if (auto* error = std::get_if<IoError>(&delivered)) {
    v1::Status deferral = status_for_write_error(*error);
    log::warning("deferred").kv("queue_id", envelope.queue_id()).kv("delivery_id", request.delivery_id())
        .kv("to", address).kv("method", "maildir").kv("dsn", deferral.enhanced()).kv("error", error->what);
    return result(address, v1::TEMPFAIL, std::move(deferral));
  }
  const std::string& name = std::get<std::string>(delivered);
  log::info("delivered").kv("queue_id", envelope.queue_id()).kv("delivery_id", request.delivery_id())
      .kv("to", address).kv("method", "maildir").kv("dsn", "2.0.0").kv("file", name);
  return result(address, v1::DELIVERED, status(250, "2.0.0", "Delivered to Maildir as " + name));
}

}  // namespace mailpipe::mda
