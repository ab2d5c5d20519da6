#include "mta/mta_metrics.hpp"

namespace mailpipe::mta {
namespace {

// Delivery can take from milliseconds (the MDA next door) to days (retries).
const std::vector<double>& delivery_delay_buckets() {
  static const std::vector<double> buckets = {0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 14400, 86400, 432000};
  return buckets;
}

}  // namespace

MtaMetrics::MtaMetrics(metrics::Registry& registry)
    : registry_(registry),
      bounces_(registry.counter("mailpipe_bounces_sent_total", "Delivery status notifications (RFC 3464) queued")) {}

void MtaMetrics::recipient_outcome(const char* destination, const char* outcome, double seconds_since_arrival) {
  registry_.counter("mailpipe_recipients_total", "Delivery attempts' outcomes per recipient",
                    {{"destination", destination}, {"outcome", outcome}})
      .inc();
  if (std::string_view(outcome) == "delivered") {
    registry_.histogram("mailpipe_delivery_delay_seconds", "From arrival in the queue to final delivery",
                        delivery_delay_buckets(), {{"destination", destination}})
        .observe(seconds_since_arrival);
  }
}

void MtaMetrics::bounce_sent() { bounces_.inc(); }

void MtaMetrics::dns_lookup(const char* type, const char* result) {
  registry_.counter("mailpipe_dns_lookups_total", "DNS lookups for outbound mail, by answer",
                    {{"type", type}, {"result", result}})
      .inc();
}

void MtaMetrics::outbound_transaction(bool tls) {
  registry_.counter("mailpipe_outbound_transactions_total", "SMTP transactions with remote MX hosts",
                    {{"tls", tls ? "yes" : "no"}})
      .inc();
}

}  // namespace mailpipe::mta
