#pragma once
// The throughput run: `messages` messages of `size` octets over `sessions`
// concurrent SMTP sessions. Each session connects once and sends message
// after message (MAIL, RCPT, DATA, no RSET between successful ones),
// optionally pipelined, at once or (--rate) when the message is due. Per message it records three times:
//   dot_sent  the final "." of DATA written to the socket
//   accepted  the 250 reply to it read
//   on_disk   its file seen in a watched Maildir or sink dir
// DATA latency = accepted - dot_sent; delivery latency = on_disk - accepted.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/bench/client_connection.hpp"
#include "tests/bench/delivery_watch.hpp"
#include "tests/bench/options.hpp"

namespace mailpipe::bench {

class LoadRun final {
 public:
  using Clock = std::chrono::steady_clock;

  LoadRun(asio::io_context& io, asio::ssl::context& tls, const Options& options, std::string run_id);
  void start();
  // After io.run() returned: the human summary on stderr and one
  // "summary key=value ..." line on stdout. Returns the exit status.
  int report() const;

 private:
  asio::awaitable<void> session(uint32_t index);
  // With --rate: until message `seq` is due.
  asio::awaitable<void> wait_for_turn(uint64_t seq);
  asio::awaitable<void> open_session(ClientConnection& connection, const asio::ip::address& source);
  // false: the connection is unusable (closed, 421, timeout).
  asio::awaitable<bool> transaction(ClientConnection& connection, uint64_t seq);
  asio::awaitable<SmtpReply> expect(ClientConnection& connection, int code, const char* what);
  std::string message_header(uint64_t seq) const;
  const std::string& recipient(uint64_t seq) const { return options_.to[seq % options_.to.size()]; }
  void note_failure(const std::string& what);
  void on_delivered(uint64_t seq, Clock::time_point at);
  void session_finished();
  void finish();

  asio::io_context& io_;
  asio::ssl::context& tls_;
  const Options& options_;
  std::string run_id_;
  asio::ip::tcp::endpoint server_;
  std::string body_;  // shared by every message, dot-stuffed, ends with CRLF.CRLF
  DeliveryWatch watch_;
  asio::steady_timer wait_timer_;

  uint64_t next_seq_ = 0;
  uint32_t active_sessions_ = 0;
  uint64_t accepted_ = 0;
  uint64_t failed_ = 0;
  uint64_t delivered_ = 0;
  uint64_t reconnects_ = 0;
  uint64_t failures_logged_ = 0;
  bool finished_ = false;
  Clock::time_point started_{};
  Clock::time_point sending_done_{};
  std::vector<Clock::time_point> dot_sent_;
  std::vector<Clock::time_point> accepted_at_;
  std::vector<Clock::time_point> on_disk_;
};

}  // namespace mailpipe::bench
