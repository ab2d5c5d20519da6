#pragma once
// What an SMTP server (the MSA's submission ports, the MTA's MX) counts
// for Prometheus: sessions open and total, TLS handshakes by version, every
// reply sent by code (so rejections are visible by reason), and messages
// accepted with their size. Label values come from a fixed set or from
// our own reply table, never from the client.
#include <string>

#include "common/metrics/registry.hpp"
#include "common/smtp/reply.hpp"

namespace mailpipe::smtp {

class SmtpMetrics final {
 public:
  // `service`: "submission" or "mx", the label that tells the two apart.
  SmtpMetrics(metrics::Registry& registry, std::string service);

  void session_started();
  void session_ended();
  void tls_established(const std::string& version);
  void reply_sent(const Reply& reply);
  void message_accepted(std::size_t bytes);

 private:
  metrics::Registry& registry_;
  std::string service_;
  metrics::Gauge& open_;
  metrics::Counter& sessions_;
  metrics::Counter& accepted_;
  metrics::Counter& accepted_bytes_;
};

}  // namespace mailpipe::smtp
