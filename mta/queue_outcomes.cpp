#include "mta/queue_outcomes.hpp"

#include <algorithm>
#include <random>

#include "common/log/log.hpp"
#include "mta/queue_runner.hpp"
#include "mta/retry.hpp"

namespace mailpipe::mta {

double retry_jitter() {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
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
    const int64_t retry_in = retry_delay_ms(config_.retry(), progress.attempts(), retry_jitter());
    progress.set_next_attempt_unix_ms(now_ms + retry_in);
    log::info("deferred").kv("queue_id", queue_id).kv("to", progress.address()).kv("relay", relay)
        .kv("dsn", status.enhanced()).kv("delay_ms", delay_ms).kv("attempts", progress.attempts())
        .kv("retry_in_ms", retry_in).kv("status", status.text());
  }
  return bounced;
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
