#pragma once
// What the MTA counts for Prometheus, beyond what its MX sessions count
// (common/smtp/smtp_metrics): delivery outcomes by destination class
// (local = the MDA, remote = SMTP), the delay from arrival to delivery,
// DSNs sent, DNS lookups by answer, and outbound TLS use. The queue's size
// by state is read at scrape time (see mta/main.cpp).
#include <string>

#include "common/metrics/registry.hpp"

namespace mailpipe::mta {

class MtaMetrics final {
 public:
  explicit MtaMetrics(metrics::Registry& registry);

  // destination: "local" or "remote"; outcome: "delivered", "deferred", "bounced".
  void recipient_outcome(const char* destination, const char* outcome, double seconds_since_arrival);
  void bounce_sent();
  // type: "mx" or "address"; result: "ok", "temporary", "permanent".
  void dns_lookup(const char* type, const char* result);
  void outbound_transaction(bool tls);

  metrics::Registry& registry() { return registry_; }

 private:
  metrics::Registry& registry_;
  metrics::Counter& bounces_;
};

}  // namespace mailpipe::mta
