#include "mta/queue_outcomes.hpp"

#include <algorithm>
#include <random>

#include "common/log/log.hpp"
#include "mta/queue_runner.hpp"
#include "mta/report_kind.hpp"
#include "mta/retry.hpp"

namespace mailpipe::mta {

uint32_t notify_of(const v1::Envelope& envelope, const std::string& address) {
  for (const auto& recipient : envelope.recipients()) {
    if (recipient.address() == address) return recipient.notify();
  }
  return 0;
}

double retry_jitter() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

QueueRunner::Reports QueueRunner::record(const std::string& queue_id, Entry& entry,
                                         const std::map<std::string, v1::RecipientResult>& results, int64_t now_ms) {
  Reports reports;
  const int64_t delay_ms = now_ms - entry.envelope.received_unix_ms();
  for (auto& progress : *entry.state.mutable_recipients()) {
    const auto it = results.find(progress.address());
    if (it == results.end() || is_final(progress)) continue;
    const v1::RecipientResult& result = it->second;
    progress.set_attempts(progress.attempts() + 1);
    *progress.mutable_last_status() = result.status();
    progress.set_last_remote_mta(result.remote_mta());
    const auto& status = result.status();
    const bool local = is_local(progress.address());
    const std::string relay = local ? "mda" : result.remote_mta().empty() ? "none" : result.remote_mta();

    const char* destination = local ? "local" : "remote";
    if (result.outcome() == v1::DELIVERED) {
      progress.set_state(v1::RECIPIENT_DELIVERED);
      if (metrics_) metrics_->recipient_outcome(destination, "delivered", static_cast<double>(delay_ms) / 1000.0);
      if (wants_report(ReportKind::delivered, notify_of(entry.envelope, progress.address()))) {
        if (local) {
          reports.delivered.push_back(progress);
        } else if (!result.dsn_passed_on()) {
          reports.relayed.push_back(progress);
        }
      }
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
      reports.bounced.push_back(progress);
      continue;
    }
    if (metrics_) metrics_->recipient_outcome(destination, "deferred", static_cast<double>(delay_ms) / 1000.0);
    const int64_t retry_in = retry_delay_ms(config_.retry(), progress.attempts(), retry_jitter());
    progress.set_next_attempt_unix_ms(now_ms + retry_in);
    const uint64_t warn_after = config_.retry().delay_warning_ms();
    if (warn_after > 0 && !progress.delay_warned() && static_cast<uint64_t>(std::max<int64_t>(delay_ms, 0)) >= warn_after &&
        wants_report(ReportKind::delayed, notify_of(entry.envelope, progress.address()))) {
      progress.set_delay_warned(true);
      reports.delayed.push_back(progress);
    }
    log::info("deferred").kv("queue_id", queue_id).kv("to", progress.address()).kv("relay", relay)
        .kv("dsn", status.enhanced()).kv("delay_ms", delay_ms).kv("attempts", progress.attempts())
        .kv("retry_in_ms", retry_in).kv("status", status.text());
  }
  return reports;
}

void QueueRunner::send_reports(const std::string& queue_id, Entry& entry, const v1::SpoolMessage& message,
                               Reports& reports, int64_t now_ms) {
  if (!on_report_) return;
  if (!reports.bounced.empty() && !on_report_(queue_id, message, ReportKind::failed, reports.bounced)) {
    keep_unbounced(queue_id, entry, reports.bounced, now_ms);
  }
  if (!reports.delayed.empty() && !on_report_(queue_id, message, ReportKind::delayed, reports.delayed)) {
    for (auto& progress : *entry.state.mutable_recipients()) {
      for (const auto& delayed : reports.delayed) {
        if (delayed.address() == progress.address()) progress.set_delay_warned(false);  // warned next time
      }
    }
  }
  // Delivered is final: a success report that cannot be queued is logged
  // (by the sender) and not retried, or the message would go again.
  if (!reports.delivered.empty()) on_report_(queue_id, message, ReportKind::delivered, reports.delivered);
  if (!reports.relayed.empty()) on_report_(queue_id, message, ReportKind::relayed, reports.relayed);
}

void QueueRunner::keep_unbounced(const std::string& queue_id, Entry& entry,
                                 const std::vector<v1::RecipientProgress>& bounced, int64_t now_ms) {
  for (auto& progress : *entry.state.mutable_recipients()) {
    const bool was_bounced =
        std::any_of(bounced.begin(), bounced.end(), [&](const auto& b) { return b.address() == progress.address(); });
    if (!was_bounced) continue;
    progress.set_state(v1::RECIPIENT_PENDING);
    progress.set_next_attempt_unix_ms(now_ms + retry_delay_ms(config_.retry(), progress.attempts(), retry_jitter()));
    log::warning("bounce_deferred").kv("queue_id", queue_id).kv("to", progress.address())
        .kv("reason", "the DSN could not be queued; the recipient is tried again later");
  }
}

}  // namespace mailpipe::mta
