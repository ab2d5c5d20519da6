#pragma once
// Sends the DSN (RFC 3464) for recipients that bounced, were delayed past
// retry.delay_warning_ms, or were delivered or relayed with NOTIFY=SUCCESS:
// builds it with make_bounce, puts it in the spool like any message
// (durably, before it counts as sent), and hands it to the queue. Never a
// report for a report: make_bounce returns nothing for a null sender.
#include <string>
#include <vector>

#include "config.pb.h"
#include "mta/mta_metrics.hpp"
#include "mta/queue_runner.hpp"
#include "mta/report_kind.hpp"
#include "mta/spool.hpp"
#include "spool.pb.h"

namespace mailpipe::mta {

class BounceSender final {
 public:
  BounceSender(Spool& spool, QueueRunner& queue, const v1::MtaConfig& config, std::string hostname);

  // False when the DSN was due but could not be made durable (the caller
  // keeps bounced recipients pending, delayed ones unwarned); true when it
  // is queued or not due (null sender, NOTIFY does not ask for it).
  bool send(const std::string& queue_id, const v1::SpoolMessage& original, ReportKind kind,
            const std::vector<v1::RecipientProgress>& recipients);
  void set_metrics(MtaMetrics* metrics) { metrics_ = metrics; }

 private:
  Spool& spool_;
  QueueRunner& queue_;
  const v1::MtaConfig& config_;
  std::string hostname_;
  MtaMetrics* metrics_ = nullptr;
};

}  // namespace mailpipe::mta
