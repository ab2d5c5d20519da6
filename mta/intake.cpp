#include "mta/intake.hpp"

#include <algorithm>
#include <cerrno>
#include <set>

#include "common/log/log.hpp"
#include "common/os/process.hpp"
#include "common/mail/queue_id.hpp"
#include "common/mail/trace_headers.hpp"
#include "common/smtp/address.hpp"
#include "common/smtp/replies.hpp"

namespace mailpipe::mta {
namespace {

v1::SubmitReply answer(const std::string& queue_id, const smtp::Reply& reply) {
  v1::SubmitReply out;
  out.set_queue_id(queue_id);
  *out.mutable_status() = reply.to_status();
  return out;
}

// The envelope crossed a process (maybe host) boundary: parse it again.
std::optional<smtp::Reply> check_envelope(const v1::Envelope& envelope) {
  if (envelope.recipients_size() == 0) return smtp::replies::no_valid_recipients();
  const bool utf8 = envelope.smtputf8();
  if (!envelope.mail_from().empty() &&
      std::holds_alternative<smtp::AddressError>(smtp::parse_path("<" + envelope.mail_from() + ">", utf8, true))) {
    return smtp::replies::bad_sender_syntax(envelope.mail_from());
  }
  for (const auto& recipient : envelope.recipients()) {
    // RFC 5321 4.1.1.3: <Postmaster> comes without a domain; ours is added
    // when aliases are expanded.
    if (smtp::lowercase_ascii(recipient.address()) == "postmaster") continue;
    if (std::holds_alternative<smtp::AddressError>(
            smtp::parse_path("<" + recipient.address() + ">", utf8, false))) {
      return smtp::replies::bad_address_syntax(recipient.address());
    }
  }
  return std::nullopt;
}

// RFC 3461 4.2 addr-type: "rfc822" for ASCII, "utf-8" (RFC 6533) otherwise.
std::string original_recipient(const std::string& address) {
  const bool ascii = std::all_of(address.begin(), address.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  return (ascii ? "rfc822;" : "utf-8;") + address;
}

// RFC 5321 6.3: count the hops, refuse a loop rather than pass it on.
std::optional<smtp::Reply> check_hops(std::string_view message, std::size_t max_received_headers) {
  if (mail::count_received_headers(message, max_received_headers) <= max_received_headers) return std::nullopt;
  return smtp::replies::too_many_hops(max_received_headers);
}

const char* unresolved_reason(Resolution::Kind kind) {
  switch (kind) {
    case Resolution::Kind::loop: return "alias loop: fix aliases_file";
    case Resolution::Kind::too_many: return "alias expansion beyond alias_expansion_limit/alias_recursion_limit";
    default: return "no such user in passwd_file or aliases_file";
  }
}

}  // namespace

Intake::Intake(Spool& spool, QueueRunner& queue, const RecipientResolver& resolver,
               std::size_t max_received_headers, BlockingWork* work)
    : spool_(spool), queue_(queue), resolver_(resolver), max_received_headers_(max_received_headers), work_(work) {}

std::optional<smtp::Reply> Intake::expand_recipients(v1::Envelope& envelope) const {
  google::protobuf::RepeatedPtrField<v1::Recipient> expanded;
  std::set<std::string> seen;
  for (const auto& recipient : envelope.recipients()) {
    const Resolution resolution = resolver_.resolve(recipient.address());
    for (const auto& target : resolution.unknown_targets) {
      log::warning("alias_target_unknown").kv("queue_id", envelope.queue_id()).kv("to", recipient.address())
          .kv("target", target).kv("reason", "alias target names nobody: fix aliases_file or passwd_file");
    }
    std::vector<std::string> mailboxes = resolution.mailboxes;
    if (resolution.kind == Resolution::Kind::loop || resolution.kind == Resolution::Kind::too_many) {
      // Our configuration error (the MX defers these at RCPT time): the
      // sender keeps the message and retries once the aliases are fixed.
      log::error("recipient_unresolved").kv("queue_id", envelope.queue_id()).kv("to", recipient.address())
          .kv("reason", unresolved_reason(resolution.kind));
      return resolution.kind == Resolution::Kind::loop ? smtp::replies::alias_loop()
                                                       : smtp::replies::alias_expansion_too_large();
    }
    if (resolution.kind == Resolution::Kind::unknown_user) {
      // From an MSA (the MX refuses these at RCPT time): queued as written;
      // the queue bounces it to our own sender with 550 5.1.1.
      log::info("recipient_unknown").kv("queue_id", envelope.queue_id()).kv("to", recipient.address())
          .kv("reason", unresolved_reason(resolution.kind));
      mailboxes = {recipient.address()};
    }
    for (const auto& mailbox : mailboxes) {
      if (!seen.insert(smtp::lowercase_ascii(mailbox)).second) continue;
      v1::Recipient* out = expanded.Add();
      *out = recipient;
      if (mailbox == recipient.address()) continue;
      out->set_address(mailbox);
      if (out->orcpt().empty()) out->set_orcpt(original_recipient(recipient.address()));
      log::info("alias_expanded").kv("queue_id", envelope.queue_id()).kv("to", recipient.address())
          .kv("mailbox", mailbox);
    }
  }
  *envelope.mutable_recipients() = std::move(expanded);
  return std::nullopt;
}

asio::awaitable<v1::Frame> Intake::handle(v1::Frame request) {
  v1::Frame response;
  if (request.has_submit() && stopping_) {
    *response.mutable_submit_reply() = answer(request.submit().envelope().queue_id(),
                                              smtp::replies::make(451, "4.3.2", "MTA shutting down, try another"));
  } else if (request.has_submit()) {
    v1::SubmitReply reply = co_await submit(std::move(*request.mutable_submit()));
    *response.mutable_submit_reply() = std::move(reply);
  } else {
    *response.mutable_error()->mutable_status() =
        smtp::replies::make(502, "5.5.1", "This endpoint takes Submit requests only").to_status();
  }
  co_return response;
}

asio::awaitable<v1::SubmitReply> Intake::submit(v1::Submit submit) {
  ++active_;
  struct Done {
    std::size_t& active;
    ~Done() { --active; }
  } done{active_};
  v1::Envelope& envelope = *submit.mutable_envelope();
  // One id follows the mail from the front end on; a front end that did not
  // pick a usable one gets a fresh id (never trust it as a file name).
  if (!is_valid_queue_id(envelope.queue_id())) {
    if (!envelope.queue_id().empty()) {
      log::warning("queue_id_replaced").kv("given", envelope.queue_id());
    }
    envelope.set_queue_id(new_queue_id());
  }
  const std::string queue_id = envelope.queue_id();
  std::optional<smtp::Reply> refusal = check_envelope(envelope);
  if (!refusal) refusal = check_hops(submit.message(), max_received_headers_);
  if (refusal) {
    log::warning("submit_refused").kv("queue_id", queue_id).kv("dsn", refusal->enhanced).kv("reason", refusal->text);
    co_return answer(queue_id, *refusal);
  }
  if (envelope.received_unix_ms() <= 0) envelope.set_received_unix_ms(unix_ms_now());
  if (auto refusal = expand_recipients(envelope)) co_return answer(queue_id, *refusal);

  auto spooled = std::make_shared<v1::SpoolMessage>();
  *spooled->mutable_envelope() = envelope;
  spooled->set_message(std::move(*submit.mutable_message()));
  // `spooled` stays untouched while a worker writes it.
  bool already_spooled = false;
  const std::optional<IoError> error = co_await run_blocking(work_, [this, &queue_id, &spooled, &already_spooled] {
    return spool_.commit(queue_id, *spooled, &already_spooled);
  });
  // A spare file replaces the one this commit used, while nobody waits
  // (no worker woken per message when recycled files keep the pool full).
  if (work_ != nullptr && spool_.spares_low()) work_->post([this] { spool_.refill_spares(); });
  if (error) {
    const bool full = error->err == ENOSPC || error->err == EDQUOT;
    log::error("spool_write_failed").kv("queue_id", queue_id).kv("error", error->what);
    co_return answer(queue_id, full ? smtp::replies::queue_full() : smtp::replies::queue_unavailable());
  }
  log::info("queued").kv("queue_id", queue_id).kv("from", envelope.mail_from())
      .kv("nrcpt", envelope.recipients_size()).kv("size", spooled->message().size())
      .kv("client", envelope.client_address()).kv("user", envelope.authenticated_user());
  v1::SpoolState state = initial_state(*spooled, envelope.received_unix_ms());  // before `spooled` moves
  // A resubmission keeps the first copy: the queue reads that one (and
  // finds nothing if it was delivered and removed meanwhile).
  if (already_spooled) spooled.reset();
  queue_.add(queue_id, envelope, std::move(state), std::move(spooled));
  co_return answer(queue_id, smtp::replies::queued(queue_id));
}

}  // namespace mailpipe::mta
