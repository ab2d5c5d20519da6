#pragma once
// Sees messages arrive on disk: inotify on each Maildir's new/ (a file
// linked or renamed in there is complete) or on an smtp-sink dump dir (a
// dump file is complete once it is closed after writing). Each file is
// matched to its message by the "X-Loadgen-Token: RUN.SEQ" header the
// load generator put in it, so files from other runs are ignored.
//
// The time recorded is when the event loop read the inotify event, so it
// includes the loop's own delay (small: the loop only waits on sockets).
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace mailpipe::bench {

class DeliveryWatch final {
 public:
  using Clock = std::chrono::steady_clock;
  // Called once per message seen, with its sequence number and the time.
  using OnDelivered = std::function<void(uint64_t seq, Clock::time_point at)>;

  DeliveryWatch(asio::io_context& io, std::string run_id, OnDelivered on_delivered);
  ~DeliveryWatch();

  // Throws when the directory cannot be watched (it must exist).
  void watch_maildir(const std::string& maildir);
  void watch_sink_dir(const std::string& dir);
  void start();
  // Reads every watched directory once more: catches what an inotify queue
  // overflow lost. Files found now are stamped with the current time.
  void rescan();
  bool active() const { return fd_ >= 0; }

 private:
  void add(const std::string& dir, uint32_t mask);
  void read_events();
  void examine(const std::string& path, Clock::time_point at);

  asio::posix::stream_descriptor descriptor_;
  int fd_ = -1;
  std::string token_prefix_;  // "X-Loadgen-Token: RUN."
  OnDelivered on_delivered_;
  std::unordered_map<int, std::string> dirs_;  // watch descriptor -> directory
  std::vector<char> events_;
};

}  // namespace mailpipe::bench
