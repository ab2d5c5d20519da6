#pragma once
// What one client address may do across all the sessions of a process (the
// submission ports share one, the MX has its own): how many connections it
// holds, and how many wrong passwords it has sent. A flood or a password
// guesser is answered by address, not by session, since a new session is
// free for an attacker:
//   too many connections in total or from this address   421 4.7.0
//   too many AUTH failures from this address, for a while 454 4.7.0
// Every failure also waits auth_failure_delay_ms before its 535, which
// bounds guesses per connection. All on the event loop thread: no locks.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/smtp/reply.hpp"
#include "config.pb.h"

namespace mailpipe::smtp {

class ClientLimits final {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ClientLimits(v1::SmtpLimits limits);
  // SIGHUP: new limits for new connections and AUTH attempts; the counts
  // so far are kept.
  void set_limits(v1::SmtpLimits limits) { limits_ = std::move(limits); }

  // A new connection from `address`: nullopt and counted (release() it at
  // the end), or the 421 to send before closing.
  std::optional<Reply> admit(const std::string& address);
  void release(const std::string& address);
  std::size_t connections() const { return total_; }

  bool auth_locked_out(const std::string& address, Clock::time_point now) const;
  // Counts a wrong password; after max_auth_failures_per_client within
  // auth_lockout_ms the address is locked out for auth_lockout_ms.
  void auth_failed(const std::string& address, Clock::time_point now);
  void auth_succeeded(const std::string& address);
  std::chrono::milliseconds auth_failure_delay() const;
  std::size_t remembered_auth_addresses() const { return auth_.size(); }

 private:
  struct AuthRecord {
    uint32_t failures = 0;
    Clock::time_point window_start;
    Clock::time_point locked_until;
  };
  void forget_old_auth_records(Clock::time_point now);

  v1::SmtpLimits limits_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, uint32_t> per_address_;
  std::unordered_map<std::string, AuthRecord> auth_;
};

}  // namespace mailpipe::smtp
