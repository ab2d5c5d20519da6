#include "mta/queue_runner.hpp"

#include <cerrno>

#include "common/log/log.hpp"
#include "common/os/process.hpp"
#include "common/smtp/address.hpp"
#include "common/smtp/replies.hpp"
#include "mta/queue_outcomes.hpp"
#include "mta/retry.hpp"

namespace mailpipe::mta {
namespace {

std::string domain_of(const std::string& address) {
  const std::size_t at = address.rfind('@');
  return smtp::lowercase_ascii(at == std::string::npos ? "" : address.substr(at + 1));
}

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
    : io_(io),
      spool_(spool),
      local_(local),
      remote_(remote),
      recipients_(recipients),
      config_(config),
      wake_(io),
      scheduler_({config.max_local_deliveries(), config.max_remote_deliveries(),
                  config.outbound().max_connections_per_destination()}) {
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
  auto [it, added] = entries_.emplace(queue_id, std::move(entry));
  wake(it->first, it->second);
}

std::shared_ptr<v1::SpoolMessage> QueueRunner::take_committed(Entry& entry) {
  if (entry.committed) committed_bytes_ -= entry.committed->message().size();
  return std::move(entry.committed);
}

asio::awaitable<std::variant<std::shared_ptr<v1::SpoolMessage>, IoError>> QueueRunner::message_for(
    const std::string& queue_id, Entry& entry) {
  // Shared by the jobs of the first round; let go when the last one ends.
  if (entry.committed) co_return entry.committed;
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

Destination QueueRunner::destination_of(const std::string& address) const {
  std::string domain = domain_of(address);
  if (local_domains_.contains(domain)) return {true, ""};
  return {false, std::move(domain)};
}

void QueueRunner::wake(const std::string& queue_id, Entry& entry) {
  int64_t due = INT64_MAX;
  for (const auto& progress : entry.state.recipients()) {
    if (is_final(progress) || progress.next_attempt_unix_ms() >= due) continue;
    const Destination destination = destination_of(progress.address());
    if (entry.running.contains(destination) || entry.waiting.contains(destination)) continue;
    due = progress.next_attempt_unix_ms();
  }
  if (due >= entry.wake_ms) return;  // the scheduler already wakes it up by then
  entry.wake_ms = due;
  scheduler_.wake_at(queue_id, due);
  kick();
}

void QueueRunner::offer_due(const std::string& queue_id, int64_t now_ms) {
  const auto it = entries_.find(queue_id);
  if (it == entries_.end()) return;  // gone since: delivered, bounced or deleted
  Entry& entry = it->second;
  entry.wake_ms = INT64_MAX;
  if (entry.state.held() || entry.gone) return;  // release() wakes it up again
  for (const auto& progress : entry.state.recipients()) {
    if (is_final(progress) || progress.next_attempt_unix_ms() > now_ms) continue;
    Destination destination = destination_of(progress.address());
    if (entry.running.contains(destination) || !entry.waiting.insert(destination).second) continue;
    scheduler_.offer({queue_id, std::move(destination)});
  }
  wake(queue_id, entry);  // for the recipients due later
}

asio::awaitable<void> QueueRunner::schedule_loop() {
  while (!stopped_) {
    kicked_ = false;
    const int64_t now = unix_ms_now();
    for (const std::string& queue_id : scheduler_.take_due(now)) offer_due(queue_id, now);
    // Spawned after the scheduler handed them all out: a job may run to
    // its end (and free its slot) before its first suspension.
    for (DeliveryJob& job : scheduler_.take_startable()) {
      ++jobs_in_flight_;
      asio::co_spawn(io_, run_job(std::move(job.queue_id), job.destination.local, std::move(job.destination.domain)),
                     asio::detached);
    }
    // A job that ended without suspending (say, every recipient bounced
    // at once) freed a slot or queued a DSN meanwhile: look again.
    if (kicked_) continue;
    // Sleep until the next wake-up; add(), a job's end and the operator's
    // actions wake us early. An hour bounds a sleep when nothing is due.
    const std::optional<int64_t> next = scheduler_.next_wake();
    const int64_t sleep_ms = next ? std::max<int64_t>(*next - now, 1) : 3'600'000;
    wake_.expires_after(std::chrono::milliseconds(sleep_ms));
    asio::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void QueueRunner::for_each(const std::function<void(const View&)>& visit) const {
  for (const auto& [queue_id, entry] : entries_) visit(View{queue_id, entry.envelope, entry.state, entry.in_flight()});
}

std::optional<QueueRunner::View> QueueRunner::find(const std::string& queue_id) const {
  const auto it = entries_.find(queue_id);
  if (it == entries_.end()) return std::nullopt;
  return View{it->first, it->second.envelope, it->second.state, it->second.in_flight()};
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
    for (auto& [id, entry] : entries_) {
      make_due(entry.state, now);
      wake(id, entry);
    }
  } else {
    const auto it = entries_.find(queue_id);
    if (it == entries_.end()) return ActionResult::not_found;
    make_due(it->second.state, now);
    wake(it->first, it->second);
  }
  log::info("flushed").kv("queue_id", queue_id.empty() ? "all" : queue_id).kv("by", "operator");
  kick();
  return ActionResult::done;
}

QueueRunner::ActionResult QueueRunner::hold(const std::string& queue_id) {
  const auto it = entries_.find(queue_id);
  if (it == entries_.end()) return ActionResult::not_found;
  it->second.state.set_held(true);
  // A job running now still records its outcome; it saves the hold too.
  // A state write under way may land after this one: write again after it.
  if (it->second.saving) it->second.save_again = true;
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
  if (it->second.saving) it->second.save_again = true;
  log::info("released").kv("queue_id", queue_id).kv("by", "operator");
  wake(it->first, it->second);
  return ActionResult::done;
}

QueueRunner::ActionResult QueueRunner::remove(const std::string& queue_id) {
  const auto it = entries_.find(queue_id);
  if (it == entries_.end()) return ActionResult::not_found;
  if (it->second.in_flight()) return ActionResult::busy;
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

QueueRunner::DueRecipients QueueRunner::due_recipients(const Entry& entry, int64_t now_ms,
                                                       const Destination& destination) const {
  DueRecipients due;
  for (const auto& progress : entry.state.recipients()) {
    if (is_final(progress) || progress.next_attempt_unix_ms() > now_ms) continue;
    const std::string& address = progress.address();
    if (destination_of(address) != destination) continue;
    due.attempt_number = std::max(due.attempt_number, progress.attempts() + 1);
    if (destination.local && !recipients_.is_mailbox(address)) {
      // Only mail from an MSA gets here (the MX refuses unknown users at
      // RCPT time): the sender is ours, so the DSN is no backscatter.
      due.results.emplace(address, unknown_mailbox(address));
    } else {
      due.recipients.push_back(address);
    }
  }
  return due;
}

void QueueRunner::defer_unreadable(DueRecipients& due, const IoError& error) {
  for (const auto& address : due.recipients) {
    auto& result = due.results[address];
    result.set_address(address);
    result.set_outcome(v1::TEMPFAIL);
    result.mutable_status()->set_code(451);
    result.mutable_status()->set_enhanced("4.3.0");
    result.mutable_status()->set_text("Cannot read queue file: " + error.what);
  }
}

asio::awaitable<void> QueueRunner::run_job(std::string queue_id, bool local, std::string domain) {
  const Destination destination{local, std::move(domain)};
  const auto it = entries_.find(queue_id);
  if (it == entries_.end() || !it->second.waiting.erase(destination) || it->second.state.held() || it->second.gone) {
    // Deleted, held or unreadable since it was offered: nothing to do.
    scheduler_.finished(destination);
    --jobs_in_flight_;
    kick();
    co_return;
  }
  Entry& entry = it->second;
  entry.running.insert(destination);
  const int64_t started = unix_ms_now();
  DueRecipients due = due_recipients(entry, started, destination);

  std::shared_ptr<v1::SpoolMessage> message;
  auto loaded = co_await message_for(queue_id, entry);
  if (auto* error = std::get_if<IoError>(&loaded); error && (error->err == EBADMSG || error->err == ENOENT)) {
    // Corrupted or removed behind our back: nothing left to deliver here.
    // The rest of the queue goes on.
    if (!entry.gone && error->err == EBADMSG) {
      spool_.quarantine(queue_id, error->what);
    } else if (!entry.gone) {
      log::error("spool_message_missing").kv("queue_id", queue_id).kv("error", error->what);
    }
    entry.gone = true;
  } else if (auto* error = std::get_if<IoError>(&loaded)) {
    log::error("spool_read_failed").kv("queue_id", queue_id).kv("error", error->what);
    defer_unreadable(due, *error);
  } else if (!due.recipients.empty()) {
    message = std::move(std::get<std::shared_ptr<v1::SpoolMessage>>(loaded));
    Courier& courier = destination.local ? local_ : remote_;
    auto delivered =
        co_await courier.deliver(queue_id, due.attempt_number, message->envelope(), due.recipients, message->message());
    due.results.merge(delivered);
  } else {
    message = std::move(std::get<std::shared_ptr<v1::SpoolMessage>>(loaded));
  }

  if (!entry.gone) {
    Reports reports = record(queue_id, entry, due.results, started);
    // The DSN is durable before the state that says "bounced": a crash in
    // between sends the DSN twice rather than never.
    if (message) send_reports(queue_id, entry, *message, reports, started);
  }
  entry.running.erase(destination);
  scheduler_.finished(destination);
  if (entry.running.empty() && entry.waiting.empty()) take_committed(entry);
  wake(queue_id, entry);  // this destination's retry, if any
  co_await persist(queue_id);
  --jobs_in_flight_;
  kick();
}

asio::awaitable<void> QueueRunner::persist(std::string queue_id) {
  const auto it = entries_.find(queue_id);
  if (it == entries_.end()) co_return;
  Entry& entry = it->second;
  if (entry.saving) {
    entry.save_again = true;  // the write under way goes round once more
    co_return;
  }
  entry.saving = true;
  do {
    entry.save_again = false;
    const bool idle = entry.running.empty();
    if (entry.gone) {
      entry.saving = false;
      if (idle) forget(queue_id);
      co_return;
    }
    const bool finished = idle && std::all_of(entry.state.recipients().begin(), entry.state.recipients().end(), is_final);
    // Off the event loop: the fsyncs of concurrent jobs overlap. The entry
    // is in flight meanwhile (no operator delete); `snapshot` is what the
    // worker writes, so the loop may change the entry (hold, other jobs).
    std::optional<IoError> removal;
    if (finished) {
      // No state written for a message about to go: its removal need not
      // be durable either. A crash that loses it delivers the message
      // again (the window DESIGN rule 1 already has between a delivery and
      // its record), so the two directory fsyncs are not worth their time.
      removal = co_await run_blocking(work_, [this, &queue_id] { return spool_.remove(queue_id, false); });
      if (!removal) {
        log::info("removed").kv("queue_id", queue_id);
        entry.saving = false;
        forget(queue_id);
        co_return;
      }
      log::error("spool_remove_failed").kv("queue_id", queue_id).kv("error", removal->what);
    }
    const v1::SpoolState snapshot = entry.state;
    const std::optional<IoError> error =
        co_await run_blocking(work_, [this, &queue_id, &snapshot] { return spool_.save_state(queue_id, snapshot); });
    if (error) {
      // The job happened but its record did not stick: on restart the
      // recipients are tried again (a duplicate, never a loss).
      log::error("spool_state_write_failed").kv("queue_id", queue_id).kv("error", error->what);
    }
    if (finished) {
      // The files stay (logged above), but nothing is left to do, and the
      // saved state says so after a restart.
      entry.saving = false;
      forget(queue_id);
      co_return;
    }
  } while (entry.save_again);
  entry.saving = false;
}

void QueueRunner::forget(const std::string& queue_id) {
  const auto it = entries_.find(queue_id);
  if (it == entries_.end()) return;
  take_committed(it->second);
  entries_.erase(it);
}

}  // namespace mailpipe::mta
