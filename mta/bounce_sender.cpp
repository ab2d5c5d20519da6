#include "mta/bounce_sender.hpp"

#include "common/log/log.hpp"
#include "common/mail/queue_id.hpp"
#include "common/os/process.hpp"
#include "mta/bounce.hpp"

namespace mailpipe::mta {

BounceSender::BounceSender(Spool& spool, QueueRunner& queue, const v1::MtaConfig& config, std::string hostname)
    : spool_(spool), queue_(queue), config_(config), hostname_(std::move(hostname)) {}

bool BounceSender::send(const std::string& queue_id, const v1::SpoolMessage& original, ReportKind kind,
                        const std::vector<v1::RecipientProgress>& bounced) {
  BounceInput input;
  input.reporting_mta = hostname_;
  input.queue_id = queue_id;
  input.envelope = original.envelope();
  input.original_message = original.message();
  input.now_unix_ms = unix_ms_now();
  input.max_returned_bytes = config_.max_bounce_message_bytes();
  input.kind = kind;
  input.retry_until_unix_ms = original.envelope().received_unix_ms() +
                              static_cast<int64_t>(config_.retry().max_queue_lifetime_ms());
  for (const auto& progress : bounced) {
    FailedRecipient failed;
    failed.address = progress.address();
    for (const auto& recipient : original.envelope().recipients()) {
      if (recipient.address() == progress.address()) {
        failed.orcpt = recipient.orcpt();
        failed.notify = recipient.notify();
      }
    }
    failed.status = progress.last_status();
    failed.remote_mta = progress.last_remote_mta();
    input.recipients.push_back(std::move(failed));
  }

  const std::string bounce_id = new_queue_id();
  std::optional<v1::SpoolMessage> dsn = make_bounce(input, bounce_id);
  if (!dsn) {
    // Null sender (a bounce itself) or NOTIFY said no: RFC 3461 / 5321 6.1.
    log::info(kind == ReportKind::failed ? "bounce_suppressed" : "dsn_suppressed").kv("queue_id", queue_id)
        .kv("action", report_action(kind)).kv("from", original.envelope().mail_from())
        .kv("recipients", bounced.size());
    return true;
  }
  if (auto error = spool_.commit(bounce_id, *dsn)) {
    // A full disk, say: the recipients stay pending, and the DSN is made
    // again at their next attempt.
    log::error(kind == ReportKind::failed ? "bounce_spool_failed" : "dsn_spool_failed").kv("queue_id", queue_id)
        .kv("action", report_action(kind)).kv("bounce_queue_id", bounce_id).kv("error", error->what);
    return false;
  }
  if (metrics_ && kind == ReportKind::failed) metrics_->bounce_sent();
  log::info(kind == ReportKind::failed ? "bounce_queued" : "dsn_queued").kv("queue_id", bounce_id)
      .kv("original_queue_id", queue_id).kv("action", report_action(kind))
      .kv("to", original.envelope().mail_from()).kv("recipients", bounced.size());
  queue_.add(bounce_id, dsn->envelope(), initial_state(*dsn, dsn->envelope().received_unix_ms()));
  return true;
}

}  // namespace mailpipe::mta
