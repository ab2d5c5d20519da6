#include "mta/queue_runner.hpp"

#include <cerrno>
#include <random>

#include "common/log/log.hpp"
#include "common/os/process.hpp"
#include "common/smtp/address.hpp"
#include "common/smtp/replies.hpp"
#include "mta/retry.hpp"

namespace mailpipe::mta {
namespace {

double jitter() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

std::string domain_of(const std::string& address) {
  const std::size_t at = address.rfind('@');
  return smtp::lowercase_ascii(at == std::string::npos ? "" : address.substr(at + 1));
}

bool is_final(const v1::RecipientProgress& progress) { return progress.state() != v1::RECIPIENT_PENDING; }

v1::RecipientResult unknown_mailbox(const std::string& address) {
  v1::RecipientResult result;
  result.set_address(address);
  result.set_outcome(v1::PERMFAIL);
  *result.mutable_status() = smtp::replies::unknown_user().to_status();
  return result;
}

}  // namespace

QueueRunner::QueueRunner(asio::io_context& io, Spool& spool, Courier& local, Courier& remote,
                         const RecipientResolver& recipients, const v1::MtaConfig& config)
    : io_(io), spool_(spool), local_(local), remote_(remote), recipients_(recipients), config_(config), wake_(io) {
  for (const auto& domain : config.local_domain()) local_domains_.insert(smtp::lowercase_ascii(domain));
}

void QueueRunner::add(const std::string& queue_id, const v1::Envelope& envelope, v1::SpoolState state,
                      std::shared_ptr<v1::SpoolMessage> committed) {
  if (entries_.contains(queue_id)) return;
  Entry entry;
  entry.envelope = envelope;
  entry.envelope.clear_queue_id();  // the map key holds it
  entry.state = std::move(state);
  if (committed && committed_bytes_ + committed->message().size() <= committed_bytes_limit) {
    committed_bytes_ += committed->message().size();
    entry.committed = std::move(committed);
  }
  entries_.emplace(queue_id, std::move(entry));
  kick();
}

std::shared_ptr<v1::SpoolMessage> QueueRunner::take_committed(Entry& entry) {
  if (entry.committed) committed_bytes_ -= entry.committed->message().size();
  return std::move(entry.committed);
}

asio::awaitable<std::variant<std::shared_ptr<v1::SpoolMessage>, IoError>> QueueRunner::message_for(
    const std::string& queue_id, Entry& entry) {
  if (auto committed = take_committed(entry)) co_return committed;
  // Reading and parsing the file (a megabyte, maybe) is no work for the loop.
  auto loaded = co_await run_blocking(work_, [this, &queue_id] { return spool_.load(queue_id); });
  if (auto* error = std::get_if<IoError>(&loaded)) co_return *error;
  co_return std::make_shared<v1::SpoolMessage>(std::move(std::get<SpooledMessage>(loaded).message));
}

void QueueRunner::start() { asio::co_spawn(io_, schedule_loop(), asio::detached); }

void QueueRunner::stop() {
  stopped_ = true;
  wake_.cancel();
}

void QueueRunner::kick() {
  kicked_ = true;
  wake_.cancel();
}

bool QueueRunner::is_local(const std::string& address) const { return local_domains_.contains(domain_of(address)); }

asio::awaitable<void> QueueRunner::schedule_loop() {
  std::vector<std::string> starting;
  while (!stopped_) {
    kicked_ = false;
    const int64_t now = unix_ms_now();
    int64_t earliest = INT64_MAX;
    for (auto& [queue_id, entry] : entries_) {
      if (entry.in_flight || entry.state.held()) continue;
      int64_t due = INT64_MAX;
      for (const auto& progress : entry.state.recipients()) {
        if (!is_final(progress)) due = std::min(due, progress.next_attempt_unix_ms());
      }
      if (due <= now && active_ < config_.max_parallel_deliveries()) {
        entry.in_flight = true;
        ++active_;
        starting.push_back(queue_id);
      } else {
        earliest = std::min(earliest, due);
      }
    }
    // Started after the scan: an attempt may run to its end (and erase its
    // entry) before its first suspension, which would break the iteration.
    for (auto& queue_id : starting) asio::co_spawn(io_, attempt(std::move(queue_id)), asio::detached);
    starting.clear();
    // An attempt that ran to its end without suspending (say, every
    // recipient bounced at once) may have queued a DSN meanwhile: scan again.
    if (kicked_) continue;
    // Sleep until the next due attempt; add(), and the end of an attempt,
    // wake us early. An hour bounds a sleep when nothing is due.
    const int64_t sleep_ms = earliest == INT64_MAX ? 3'600'000 : std::max<int64_t>(earliest - now, 1);
    wake_.expires_after(std::chrono::milliseconds(sleep_ms));
    asio::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void QueueRunner::for_each(const std::function<void(const View&)>& visit) const {
  for (const auto& [queue_id, entry] : entries_) visit(View{queue_id, entry.envelope, entry.state, entry.in_flight});
}

std::optional<QueueRunner::View> QueueRunner::find(const std::string& queue_id) const {
  const auto it = entries_.find(queue_id);
  if (it == entries_.end()) return std::nullopt;
  return View{it->first, it->second.envelope, it->second.state, it->second.in_flight};
}

void QueueRunner::make_due(v1::SpoolState& state, int64_t now_ms) {
  for (auto& progress : *state.mutable_recipients()) {
    if (!is_final(progress)) progress.set_next_attempt_unix_ms(now_ms);
  }
}

QueueRunner::ActionResult QueueRunner::flush(const std::string& queue_id) {
  const int64_t now = unix_ms_now();
  if (queue_id.empty()) {
    // In memory only: a restart makes everything due anyway.
    for (auto& [id, entry] : entries_) make_due(entry.state, now);
  } else {
    const auto it = entries_.find(queue_id);
    if (it == entries_.end()) return ActionResult::not_found;
    make_due(it->second.state, now);
  }
  log::info("flushed").kv("queue_id", queue_id.empty() ? "all" : queue_id).kv("by", "operator");
  kick();
  return ActionResult::done;
}

QueueRunner::ActionResult QueueRunner::hold(const std::string& queue_id) {
  const auto it = entries_.find(queue_id);
  if (it == entries_.end()) return ActionResult::not_found;
  it->second.state.set_held(true);
  // An attempt running now still records its outcome; it saves the hold too.
  if (auto error = spool_.save_state(queue_id, it->second.state)) {
    it->second.state.set_held(false);
    log::error("hold_failed").kv("queue_id", queue_id).kv("error", error->what);
    return ActionResult::failed;
  }
  log::info("held").kv("queue_id", queue_id).kv("by", "operator");
  return ActionResult::done;
}

QueueRunner::ActionResult QueueRunner::release(const std::string& queue_id) {
  const auto it = entries_.find(queue_id);
  if (it == entries_.end()) return ActionResult::not_found;
  v1::SpoolState released = it->second.state;
  released.set_held(false);
  make_due(released, unix_ms_now());
  if (auto error = spool_.save_state(queue_id, released)) {
    log::error("release_failed").kv("queue_id", queue_id).kv("error", error->what);
    return ActionResult::failed;
  }
  it->second.state = std::move(released);
  log::info("released").kv("queue_id", queue_id).kv("by", "operator");
  kick();
  return ActionResult::done;
}

QueueRunner::ActionResult QueueRunner::remove(const std::string& queue_id) {
  const auto it = entries_.find(queue_id);
  if (it == entries_.end()) return ActionResult::not_found;
  if (it->second.in_flight) return ActionResult::busy;
  if (auto error = spool_.remove(queue_id)) {
    log::error("delete_failed").kv("queue_id", queue_id).kv("error", error->what);
    return ActionResult::failed;
  }
  log::warning("deleted").kv("queue_id", queue_id).kv("from", it->second.envelope.mail_from())
      .kv("nrcpt", it->second.state.recipients_size()).kv("by", "operator");
  take_committed(it->second);
  entries_.erase(it);
  return ActionResult::done;
}

QueueRunner::DueRecipients QueueRunner::due_recipients(const Entry& entry, int64_t now_ms) const {
  DueRecipients due;
  for (const auto& progress : entry.state.recipients()) {
    if (is_final(progress) || progress.next_attempt_unix_ms() > now_ms) continue;
    due.attempt_number = std::max(due.attempt_number, progress.attempts() + 1);
    const std::string& address = progress.address();
    if (!is_local(address)) {
      due.remote.push_back(address);
    } else if (recipients_.is_mailbox(address)) {
      due.local.push_back(address);
    } else {
      // Only mail from an MSA gets here (the MX refuses unknown users at
      // RCPT time): the sender is ours, so the DSN is no backscatter.
      due.results.emplace(address, unknown_mailbox(address));
    }
  }
  return due;
}

void QueueRunner::defer_unreadable(DueRecipients& due, const IoError& error) {
  for (const auto* group : {&due.local, &due.remote}) {
    for (const auto& address : *group) {
      auto& result = due.results[address];
      result.set_address(address);
      result.set_outcome(v1::TEMPFAIL);
      result.mutable_status()->set_code(451);
      result.mutable_status()->set_enhanced("4.3.0");
      result.mutable_status()->set_text("Cannot read queue file: " + error.what);
    }
  }
}

asio::awaitable<void> QueueRunner::attempt(std::string queue_id) {
  Entry& entry = entries_.at(queue_id);
  const int64_t started = unix_ms_now();
  DueRecipients due = due_recipients(entry, started);

  std::shared_ptr<v1::SpoolMessage> message;
  auto loaded = co_await message_for(queue_id, entry);
  if (auto* error = std::get_if<IoError>(&loaded); error && (error->err == EBADMSG || error->err == ENOENT)) {
    // Corrupted or removed behind our back: nothing left to deliver here.
    // The rest of the queue goes on.
    if (error->err == EBADMSG) {
      spool_.quarantine(queue_id, error->what);
    } else {
      log::error("spool_message_missing").kv("queue_id", queue_id).kv("error", error->what);
    }
    --active_;
    entries_.erase(queue_id);
    kick();
    co_return;
  }
  if (auto* error = std::get_if<IoError>(&loaded)) {
    log::error("spool_read_failed").kv("queue_id", queue_id).kv("error", error->what);
    defer_unreadable(due, *error);
  } else {
    message = std::move(std::get<std::shared_ptr<v1::SpoolMessage>>(loaded));
    if (!due.local.empty()) {
      auto delivered =
          co_await local_.deliver(queue_id, due.attempt_number, message->envelope(), due.local, message->message());
      due.results.merge(delivered);
    }
    if (!due.remote.empty()) {
      auto relayed =
          co_await remote_.deliver(queue_id, due.attempt_number, message->envelope(), due.remote, message->message());
      due.results.merge(relayed);
    }
  }

  const std::vector<v1::RecipientProgress> bounced = record(queue_id, entry, due.results, started);
  // The DSN is durable before the state that says "bounced": a crash in
  // between sends the DSN twice rather than never.
  if (!bounced.empty() && on_bounced_ && message && !on_bounced_(queue_id, *message, bounced)) {
    keep_unbounced(queue_id, entry, bounced, started);
  }
  co_await save_after_attempt(queue_id, entry);
}

void QueueRunner::keep_unbounced(const std::string& queue_id, Entry& entry,
                                 const std::vector<v1::RecipientProgress>& bounced, int64_t now_ms) {
  for (auto& progress : *entry.state.mutable_recipients()) {
    const bool was_bounced =
        std::any_of(bounced.begin(), bounced.end(), [&](const auto& b) { return b.address() == progress.address(); });
    if (!was_bounced) continue;
    progress.set_state(v1::RECIPIENT_PENDING);
    progress.set_next_attempt_unix_ms(now_ms + retry_delay_ms(config_.retry(), progress.attempts(), jitter()));
    log::warning("bounce_deferred").kv("queue_id", queue_id).kv("to", progress.address())
        .kv("reason", "the DSN could not be queued; the recipient is tried again later");
  }
}

asio::awaitable<void> QueueRunner::save_after_attempt(const std::string& queue_id, Entry& entry) {
  const bool finished = std::all_of(entry.state.recipients().begin(), entry.state.recipients().end(), is_final);
  // Off the event loop: the fsyncs of concurrent attempts overlap. The
  // entry stays in_flight meanwhile (no operator delete); `snapshot` is
  // what the worker writes, so the loop may change the entry (hold).
  const v1::SpoolState snapshot = entry.state;
  std::optional<IoError> removal;
  if (finished) {
    // No state written for a message about to go: its removal need not be
    // durable either. A crash that loses it delivers the message again
    // (the window DESIGN rule 1 already has between a delivery and its
    // record), so the two directory fsyncs are not worth their time.
    removal = co_await run_blocking(work_, [this, &queue_id] { return spool_.remove(queue_id, false); });
  }
  if (!finished || removal) {
    if (removal) log::error("spool_remove_failed").kv("queue_id", queue_id).kv("error", removal->what);
    const std::optional<IoError> error =
        co_await run_blocking(work_, [this, &queue_id, &snapshot] { return spool_.save_state(queue_id, snapshot); });
    if (error) {
      // The attempt happened but its record did not stick: on restart the
      // recipients are tried again (a duplicate, never a loss).
      log::error("spool_state_write_failed").kv("queue_id", queue_id).kv("error", error->what);
    }
  }
  if (!finished && entry.state.held() != snapshot.held()) {
    // An operator's hold or release while the worker wrote: theirs is newer.
    if (auto error = spool_.save_state(queue_id, entry.state)) {
      log::error("spool_state_write_failed").kv("queue_id", queue_id).kv("error", error->what);
    }
  }
  entry.in_flight = false;
  --active_;
  if (finished) {
    // Even when the files stay (logged above): nothing is left to do, and
    // the saved state says so after a restart.
    if (!removal) log::info("removed").kv("queue_id", queue_id);
    entries_.erase(queue_id);
  }
  kick();
}

std::vector<v1::RecipientProgress> QueueRunner::record(const std::string& queue_id, Entry& entry,
                                                       const std::map<std::string, v1::RecipientResult>& results,
                                                       int64_t now_ms) {
  std::vector<v1::RecipientProgress> bounced;
  const int64_t delay_ms = now_ms - entry.envelope.received_unix_ms();
  for (auto& progress : *entry.state.mutable_recipients()) {
    const auto it = results.find(progress.address());
    if (it == results.end() || is_final(progress)) continue;
    const v1::RecipientResult& result = it->second;
    progress.set_attempts(progress.attempts() + 1);
    *progress.mutable_last_status() = result.status();
    progress.set_last_remote_mta(result.remote_mta());
    const auto& status = result.status();
    const std::string relay = is_local(progress.address()) ? "mda" : result.remote_mta().empty() ? "none" : result.remote_mta();

    const char* destination = is_local(progress.address()) ? "local" : "remote";
    if (result.outcome() == v1::DELIVERED) {
      progress.set_state(v1::RECIPIENT_DELIVERED);
      if (metrics_) metrics_->recipient_outcome(destination, "delivered", static_cast<double>(delay_ms) / 1000.0);
      log::info("delivered").kv("queue_id", queue_id).kv("to", progress.address()).kv("relay", relay)
          .kv("dsn", status.enhanced()).kv("delay_ms", delay_ms).kv("attempts", progress.attempts())
          .kv("status", status.text());
      continue;
    }
    const bool expired = lifetime_expired(config_.retry(), entry.envelope.received_unix_ms(), now_ms);
    if (result.outcome() == v1::PERMFAIL || expired) {
      // The DSN to the sender (RFC 3464) is sent by the bounce machinery.
      progress.set_state(v1::RECIPIENT_BOUNCED);
      if (metrics_) metrics_->recipient_outcome(destination, "bounced", static_cast<double>(delay_ms) / 1000.0);
      log::warning("bounced").kv("queue_id", queue_id).kv("to", progress.address()).kv("relay", relay)
          .kv("dsn", status.enhanced()).kv("delay_ms", delay_ms).kv("attempts", progress.attempts())
          .kv("reason", expired && result.outcome() != v1::PERMFAIL ? "queue lifetime expired" : "permanent failure")
          .kv("status", status.text());
      bounced.push_back(progress);
      continue;
    }
    if (metrics_) metrics_->recipient_outcome(destination, "deferred", static_cast<double>(delay_ms) / 1000.0);
    const int64_t retry_in = retry_delay_ms(config_.retry(), progress.attempts(), jitter());
    progress.set_next_attempt_unix_ms(now_ms + retry_in);
    log::info("deferred").kv("queue_id", queue_id).kv("to", progress.address()).kv("relay", relay)
        .kv("dsn", status.enhanced()).kv("delay_ms", delay_ms).kv("attempts", progress.attempts())
        .kv("retry_in_ms", retry_in).kv("status", status.text());
  }
  return bounced;
}

}  // namespace mailpipe::mta
