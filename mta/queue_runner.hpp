#pragma once
// The MTA's queue: knows every queued message's recipient states, runs a
// delivery job for each destination of a message (the local MDA, or one
// remote domain) when its recipients are due, as DeliveryScheduler allows
// (separate local and remote slots, a cap per remote domain, round robin:
// DESIGN rule 6), records each outcome durably, and removes a message from
// the spool once every recipient is final (delivered or bounced). Only the
// queue decides retry, backoff and bounce (STYLE habit 11).
//
// Memory: per message its envelope and state. The body is read from the
// spool for each attempt, except for the first attempt of a message that
// arrived while this process runs: intake hands over the message it has
// just committed, so the file is not read back and parsed again (up to
// committed_bytes_limit of bodies waiting for their first attempt).
#include <asio.hpp>
#include <map>
#include <memory>
#include <variant>
#include <set>
#include <string>

#include <functional>
#include <optional>
#include <vector>

#include "common/os/blocking_work.hpp"
#include "config.pb.h"

#include "mta/courier.hpp"
#include "mta/delivery_scheduler.hpp"
#include "mta/report_kind.hpp"
#include "mta/mta_metrics.hpp"
#include "mta/recipient_resolver.hpp"
#include "mta/spool.hpp"
#include "spool.pb.h"

namespace mailpipe::mta {

class QueueRunner final {
 public:
  // `local` takes recipients of local domains that are mailboxes (others
  // bounce with 550 5.1.1), `remote` the rest.
  QueueRunner(asio::io_context& io, Spool& spool, Courier& local, Courier& remote,
              const RecipientResolver& recipients, const v1::MtaConfig& config);

  // Called with the original message to send a DSN: for recipients that
  // became BOUNCED (permanent failure or expiry), that are still deferred
  // retry.delay_warning_ms after arrival (once), or that were delivered or
  // relayed (the report's sender decides who asked for it).
  // Returns false when the DSN could not be made durable: bounced
  // recipients then stay pending and are tried (and bounced) again later,
  // so the sender is never left untold; delayed ones are warned next time.
  using OnReport = std::function<bool(const std::string& queue_id, const v1::SpoolMessage& original, ReportKind kind,
                                      const std::vector<v1::RecipientProgress>& recipients)>;
  void set_on_report(OnReport on_report) { on_report_ = std::move(on_report); }
  void set_metrics(MtaMetrics* metrics) { metrics_ = metrics; }
  // Where the spool writes after an attempt run; none: on the event loop.
  void set_blocking_work(BlockingWork* work) { work_ = work; }

  // Takes a message that is durable in the spool. A queue id already known
  // is ignored (a resubmission after a lost acknowledgement). `committed`,
  // when given, is what was written, for the first attempt (see above).
  void add(const std::string& queue_id, const v1::Envelope& envelope, v1::SpoolState state,
           std::shared_ptr<v1::SpoolMessage> committed = nullptr);
  // Bytes of bodies held for first attempts; more are read from disk.
  static constexpr std::size_t committed_bytes_limit = 64u << 20;
  bool contains(const std::string& queue_id) const { return entries_.contains(queue_id); }
  std::size_t size() const { return entries_.size(); }

  // --- operator actions (mailpipectl, through mta/admin_service) ----------
  struct View {
    const std::string& queue_id;
    const v1::Envelope& envelope;
    const v1::SpoolState& state;  // held() is the operator's hold
    bool in_flight;
  };
  void for_each(const std::function<void(const View&)>& visit) const;
  std::optional<View> find(const std::string& queue_id) const;
  enum class ActionResult { done, not_found, busy, failed };
  // Pending recipients due now; "" flushes every message (held ones stay held).
  ActionResult flush(const std::string& queue_id);
  // Durable: a held message stays held across restarts.
  ActionResult hold(const std::string& queue_id);
  ActionResult release(const std::string& queue_id);
  // Removes the message from the spool without a bounce; busy while an
  // attempt for it is running.
  ActionResult remove(const std::string& queue_id);

  void start();
  // No new attempts; those in flight finish and record their outcome.
  void stop();
  // Delivery jobs under way (delivering, or writing what they learnt).
  std::size_t active_attempts() const { return jobs_in_flight_; }

 private:
  struct Entry {
    v1::Envelope envelope;
    v1::SpoolState state;
    std::set<Destination> running;  // jobs delivering now
    std::set<Destination> waiting;  // jobs offered to the scheduler, not started yet
    int64_t wake_ms = INT64_MAX;    // the earliest wake-up the scheduler holds for it
    bool saving = false;            // a state write or the removal is under way
    bool save_again = false;        // the state changed while it was written
    bool gone = false;              // its spool file is unreadable: dropped when idle
    std::shared_ptr<v1::SpoolMessage> committed;  // see add()
    bool in_flight() const { return !running.empty() || saving; }
  };

  asio::awaitable<void> schedule_loop();
  Destination destination_of(const std::string& address) const;
  // Asks the scheduler for a wake-up at the entry's next due recipient of
  // a destination with no job (a job re-arms its own when it ends).
  void wake(const std::string& queue_id, Entry& entry);
  // Offers a job for each destination of the message with recipients due.
  void offer_due(const std::string& queue_id, int64_t now_ms);
  // One job: the due recipients of one destination of one message. Plain
  // parameters, not a DeliveryJob: GCC 12 mishandles class-type coroutine
  // parameters taken by value.
  asio::awaitable<void> run_job(std::string queue_id, bool local, std::string domain);
  // Writes the entry's state (one write at a time per message; a change
  // meanwhile is written after it), or removes a finished message.
  asio::awaitable<void> persist(std::string queue_id);
  // Drops a message that is done with (or gone) from memory.
  void forget(const std::string& queue_id);
  // The recipients of one destination a job starting at now_ms takes,
  // and the results known before any delivery (unknown local mailboxes).
  struct DueRecipients {
    std::vector<std::string> recipients;  // for the courier
    std::map<std::string, v1::RecipientResult> results;
    uint32_t attempt_number = 1;
  };
  DueRecipients due_recipients(const Entry& entry, int64_t now_ms, const Destination& destination) const;
  // A temporary failure for every due recipient: the body cannot be read.
  static void defer_unreadable(DueRecipients& due, const IoError& error);
  // Bounced recipients whose DSN could not be queued go back to pending.
  void keep_unbounced(const std::string& queue_id, Entry& entry, const std::vector<v1::RecipientProgress>& bounced,
                      int64_t now_ms);
  // The recipients of one job's outcomes that a report is due for.
  struct Reports {
    std::vector<v1::RecipientProgress> bounced;    // newly BOUNCED
    std::vector<v1::RecipientProgress> delayed;    // deferred past delay_warning_ms, not warned before
    std::vector<v1::RecipientProgress> delivered;  // into a local mailbox
    std::vector<v1::RecipientProgress> relayed;    // to a next hop that reports nothing (no DSN)
  };
  // Applies outcomes to the in-memory state; says what to report.
  Reports record(const std::string& queue_id, Entry& entry, const std::map<std::string, v1::RecipientResult>& results,
                 int64_t now_ms);
  // Hands the reports to on_report_; undoes what a report that could not
  // be queued was to close (bounced back to pending, delayed unwarned).
  void send_reports(const std::string& queue_id, Entry& entry, const v1::SpoolMessage& message, Reports& reports,
                    int64_t now_ms);
  // The message of an attempt: the committed one if held, else the spool's.
  asio::awaitable<std::variant<std::shared_ptr<v1::SpoolMessage>, IoError>> message_for(const std::string& queue_id,
                                                                                         Entry& entry);
  // Takes the held body out of `entry` (and out of committed_bytes_).
  std::shared_ptr<v1::SpoolMessage> take_committed(Entry& entry);
  bool is_local(const std::string& address) const;
  void kick();
  static void make_due(v1::SpoolState& state, int64_t now_ms);

  asio::io_context& io_;
  Spool& spool_;
  Courier& local_;
  Courier& remote_;
  const RecipientResolver& recipients_;
  OnReport on_report_;
  const v1::MtaConfig& config_;
  std::set<std::string> local_domains_;
  std::map<std::string, Entry> entries_;
  asio::steady_timer wake_;
  DeliveryScheduler scheduler_;
  std::size_t jobs_in_flight_ = 0;
  std::size_t committed_bytes_ = 0;
  bool kicked_ = false;
  MtaMetrics* metrics_ = nullptr;  // something changed since the scan began
  bool stopped_ = false;
  BlockingWork* work_ = nullptr;
};

}  // namespace mailpipe::mta
