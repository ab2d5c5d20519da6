#pragma once
// The concurrency run (--idle N): N sessions connect, read the banner, say
// EHLO and then hold, idle. Once all are open the server's resident memory
// is read (/proc/<pid>/status, --pid) and a new client checks that the
// server still serves: time to its banner and to the EHLO reply.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/bench/client_connection.hpp"
#include "tests/bench/options.hpp"

namespace mailpipe::bench {

class IdleRun final {
 public:
  using Clock = std::chrono::steady_clock;

  IdleRun(asio::io_context& io, asio::ssl::context& tls, const Options& options);
  void start();
  int report() const;  // after io.run() returned

 private:
  struct Probe {
    bool ok = false;
    double banner_ms = 0;
    double ehlo_ms = 0;
    std::string error;
  };

  asio::awaitable<void> opener();
  asio::awaitable<void> greet(ClientConnection& connection, const asio::ip::address& source);
  asio::awaitable<void> hold(ClientConnection& connection);
  asio::awaitable<void> measure();
  asio::awaitable<Probe> probe();
  asio::awaitable<void> sleep(double seconds);

  asio::io_context& io_;
  asio::ssl::context& tls_;
  const Options& options_;
  asio::ip::tcp::endpoint server_;
  std::vector<std::unique_ptr<ClientConnection>> connections_;
  uint32_t next_ = 0;
  uint32_t openers_ = 0;
  uint32_t opened_ = 0;
  uint32_t failed_ = 0;
  uint32_t dropped_ = 0;
  bool closing_ = false;
  std::string first_error_;
  Clock::time_point started_{};
  double open_s_ = 0;
  long rss_before_kb_ = -1, rss_idle_kb_ = -1, hwm_kb_ = -1, rss_after_hold_kb_ = -1;
  long fds_ = -1, threads_ = -1;
  uint32_t dropped_at_probe_ = 0;
  Probe probe_, probe_after_hold_;
};

}  // namespace mailpipe::bench
