#include "mda/maildir_delivery.hpp"

#include <cerrno>

#include "common/log.hpp"
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

v1::RecipientResult result(const std::string& address, v1::Outcome outcome, uint32_t code, const char* enhanced,
                           const std::string& text) {
  v1::RecipientResult out;
  out.set_address(address);
  out.set_outcome(outcome);
  out.mutable_status()->set_code(code);
  out.mutable_status()->set_enhanced(enhanced);
  out.mutable_status()->set_text(text);
  return out;
}

}  // namespace

std::string maildir_content(const std::string& mail_from, const std::string& recipient, std::string_view message) {
  std::string content = "Return-Path: <" + mail_from + ">\nDelivered-To: " + recipient + "\n";
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
  const v1::Envelope& envelope = request.envelope();
  for (const auto& recipient : request.recipients()) {
    const std::string& address = recipient.address();
    const std::string path = mailbox_path(address);
    if (path.empty()) {
      log::warning("refused").kv("queue_id", envelope.queue_id()).kv("delivery_id", request.delivery_id())
          .kv("to", address).kv("dsn", "5.1.3").kv("reason", "mailbox name not safe as a path");
      *reply.add_results() = result(address, v1::PERMFAIL, 550, "5.1.3", "Mailbox name not allowed: " + address);
      continue;
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
      const bool full = error->err == ENOSPC || error->err == EDQUOT;
      log::warning("deferred").kv("queue_id", envelope.queue_id()).kv("delivery_id", request.delivery_id())
          .kv("to", address).kv("dsn", full ? "4.2.2" : "4.3.0").kv("error", error->what);
      *reply.add_results() = full ? result(address, v1::TEMPFAIL, 452, "4.2.2", "Mailbox full or disk full: " + error->what)
                                  : result(address, v1::TEMPFAIL, 451, "4.3.0", "Cannot write mailbox: " + error->what);
      continue;
    }
    const std::string& name = std::get<std::string>(delivered);
    log::info("delivered").kv("queue_id", envelope.queue_id()).kv("delivery_id", request.delivery_id())
        .kv("to", address).kv("dsn", "2.0.0").kv("file", name);
    *reply.add_results() = result(address, v1::DELIVERED, 250, "2.0.0", "Delivered to Maildir as " + name);
  }
  return reply;
}

}  // namespace mailpipe::mda
