#pragma once
// The MTA's scheduler: knows every queued message's recipient states, starts
// delivery attempts when they are due (at most max_parallel_deliveries at a
// time), records each outcome durably, and removes a message from the spool
// once every recipient is final (delivered or bounced). Only the queue
// decides retry, backoff and bounce (STYLE habit 11).
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

  // Called after recipients became BOUNCED (permanent failure or expiry),
  // with the original message, to send the DSN.
  // Returns false when the DSN could not be made durable: those recipients
  // then stay pending and are tried (and bounced) again later, so the
  // sender is never left untold.
  using OnBounced = std::function<bool(const std::string& queue_id, const v1::SpoolMessage& original,
                                       const std::vector<v1::RecipientProgress>& bounced)>;
  void set_on_bounced(OnBounced on_bounced) { on_bounced_ = std::move(on_bounced); }
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
  std::size_t active_attempts() const { return active_; }

 private:
  struct Entry {
    v1::Envelope envelope;
    v1::SpoolState state;
    bool in_flight = false;
    std::shared_ptr<v1::SpoolMessage> committed;  // see add()
  };

  asio::awaitable<void> schedule_loop();
  // The recipients an attempt starting at now_ms takes, by courier, and
  // the results known before any delivery (unknown local mailboxes).
  struct DueRecipients {
    std::vector<std::string> local;
    std::vector<std::string> remote;
    std::map<std::string, v1::RecipientResult> results;
    uint32_t attempt_number = 1;
  };
  DueRecipients due_recipients(const Entry& entry, int64_t now_ms) const;
  asio::awaitable<void> attempt(std::string queue_id);
  // A temporary failure for every due recipient: the body cannot be read.
  static void defer_unreadable(DueRecipients& due, const IoError& error);
  // Bounced recipients whose DSN could not be queued go back to pending.
  void keep_unbounced(const std::string& queue_id, Entry& entry, const std::vector<v1::RecipientProgress>& bounced,
                      int64_t now_ms);
  // Writes the state after an attempt, or removes a finished message, and
  // frees the attempt's slot.
  asio::awaitable<void> save_after_attempt(const std::string& queue_id, Entry& entry);
  // Applies outcomes to the in-memory state; returns the newly bounced.
  std::vector<v1::RecipientProgress> record(const std::string& queue_id, Entry& entry,
                                            const std::map<std::string, v1::RecipientResult>& results,
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
  OnBounced on_bounced_;
  const v1::MtaConfig& config_;
  std::set<std::string> local_domains_;
  std::map<std::string, Entry> entries_;
  asio::steady_timer wake_;
  std::size_t active_ = 0;
  std::size_t committed_bytes_ = 0;
  bool kicked_ = false;
  MtaMetrics* metrics_ = nullptr;  // something changed since the scan began
  bool stopped_ = false;
  BlockingWork* work_ = nullptr;
};

}  // namespace mailpipe::mta
