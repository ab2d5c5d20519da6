#pragma once
// Which delivery jobs run, and when (DESIGN rule 6: no destination can
// stall the others). A job is one message's due recipients for one
// destination: the local MDA, or one remote domain. The scheduler only
// decides; QueueRunner does the I/O and tells it when a job ends.
//
// - Wake-ups by due time: a min-heap of (due, queue id), so a wake-up
//   costs the messages that are due, not a scan of the whole queue.
// - Separate slots for local and for remote delivery (max_local_deliveries,
//   max_remote_deliveries), and per remote domain
//   (outbound.max_connections_per_destination): a job whose destination
//   is full waits in that destination's line without holding any slot.
// - Fair: free slots go round-robin over the destinations with jobs
//   waiting, so a domain with a thousand queued messages takes its turn
//   like a domain with one.
#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <vector>

namespace mailpipe::mta {

struct Destination {
  bool local = false;
  std::string domain;  // lowercase; empty for local
  auto operator<=>(const Destination&) const = default;
  std::string name() const { return local ? "local" : domain; }
};

struct DeliveryJob {
  std::string queue_id;
  Destination destination;
};

class DeliveryScheduler final {
 public:
  struct Limits {
    uint32_t local = 20;                 // local jobs at once
    uint32_t remote = 100;               // remote jobs at once, every domain together
    uint32_t per_remote_destination = 10;  // jobs at once to one remote domain
  };
  explicit DeliveryScheduler(Limits limits);

  // Wake-ups: `queue_id` has something due at `due_ms`. Repeats are fine
  // (the caller checks what is really due when the id comes back).
  void wake_at(const std::string& queue_id, int64_t due_ms);
  // Every queue id whose wake-up time has come, each once, earliest first.
  std::vector<std::string> take_due(int64_t now_ms);
  // When the next wake-up is due; none when nothing is waiting for time.
  std::optional<int64_t> next_wake() const;

  // A job that is due. It starts when take_startable() hands it out.
  void offer(DeliveryJob job);
  // The jobs that may start now, their slots taken. Call finished() for
  // each when it ends.
  std::vector<DeliveryJob> take_startable();
  void finished(const Destination& destination);

  std::size_t running() const { return running_local_ + running_remote_; }
  std::size_t waiting() const { return waiting_count_; }
  std::size_t running_to(const Destination& destination) const;

 private:
  bool has_slot(const Destination& destination) const;
  // The next destination after the cursor (wrapping) with a job waiting
  // and a free slot; none when no job can start.
  std::optional<Destination> next_startable() const;

  Limits limits_;
  using Wake = std::pair<int64_t, std::string>;
  std::priority_queue<Wake, std::vector<Wake>, std::greater<>> wakes_;
  std::map<Destination, std::deque<std::string>> waiting_;  // FIFO per destination
  std::map<Destination, uint32_t> running_per_destination_;
  std::size_t running_local_ = 0;
  std::size_t running_remote_ = 0;
  std::size_t waiting_count_ = 0;
  std::optional<Destination> cursor_;  // the destination served last
};

}  // namespace mailpipe::mta
