#include "common/smtp/smtp_metrics.hpp"

namespace mailpipe::smtp {

SmtpMetrics::SmtpMetrics(metrics::Registry& registry, std::string service)
    : registry_(registry),
      service_(std::move(service)),
      open_(registry.gauge("mailpipe_smtp_sessions_open", "SMTP sessions open now", {{"service", service_}})),
      sessions_(registry.counter("mailpipe_smtp_sessions_total", "SMTP sessions accepted", {{"service", service_}})),
      accepted_(registry.counter("mailpipe_smtp_messages_accepted_total",
                                 "Messages answered 250 after DATA (durable in a queue)", {{"service", service_}})),
      accepted_bytes_(registry.counter("mailpipe_smtp_accepted_bytes_total", "Bytes of the messages accepted",
                                       {{"service", service_}})) {}

void SmtpMetrics::session_started() {
  sessions_.inc();
  open_.inc();
}

void SmtpMetrics::session_ended() { open_.dec(); }

void SmtpMetrics::tls_established(const std::string& version) {
  registry_.counter("mailpipe_smtp_tls_sessions_total", "TLS handshakes completed, by protocol version",
                    {{"service", service_}, {"version", version}})
      .inc();
}

void SmtpMetrics::reply_sent(const Reply& reply) {
  // The code is ours (replies.hpp), a few dozen values at most.
  registry_.counter("mailpipe_smtp_replies_total", "SMTP replies sent, by code",
                    {{"service", service_}, {"code", std::to_string(reply.code)}})
      .inc();
}

void SmtpMetrics::message_accepted(std::size_t bytes) {
  accepted_.inc();
  accepted_bytes_.inc(static_cast<double>(bytes));
}

}  // namespace mailpipe::smtp
