#pragma once
// The MTA's scheduler: knows every queued message's recipient states, starts
// delivery attempts when they are due (at most max_parallel_deliveries at a
// time), records each outcome durably, and removes a message from the spool
// once every recipient is final (delivered or bounced). Only the queue
// decides retry, backoff and bounce (STYLE habit 11).
//
// Memory: per message only its envelope and state; the body is read from
// the spool for each attempt.
#include <asio.hpp>
#include <map>
#include <set>
#include <string>

#include "config.pb.h"
#include "mta/mda_courier.hpp"
#include "mta/spool.hpp"
#include "spool.pb.h"

namespace mailpipe::mta {

class QueueRunner final {
 public:
  QueueRunner(asio::io_context& io, Spool& spool, MdaCourier& mda, const v1::MtaConfig& config);

  // Takes a message that is durable in the spool. A queue id already known
  // is ignored (a resubmission after a lost acknowledgement).
  void add(const std::string& queue_id, const v1::Envelope& envelope, v1::SpoolState state);
  bool contains(const std::string& queue_id) const { return entries_.contains(queue_id); }
  std::size_t size() const { return entries_.size(); }

  void start();
  void stop();

 private:
  struct Entry {
    v1::Envelope envelope;
    v1::SpoolState state;
    bool in_flight = false;
  };
  struct Attempt;

  asio::awaitable<void> schedule_loop();
  asio::awaitable<void> attempt(std::string queue_id);
  void record(const std::string& queue_id, Entry& entry, const std::map<std::string, v1::RecipientResult>& results,
              int64_t now_ms);
  bool is_local(const std::string& address) const;
  void kick();

  asio::io_context& io_;
  Spool& spool_;
  MdaCourier& mda_;
  const v1::MtaConfig& config_;
  std::set<std::string> local_domains_;
  std::map<std::string, Entry> entries_;
  asio::steady_timer wake_;
  std::size_t active_ = 0;
  bool stopped_ = false;
};

}  // namespace mailpipe::mta
