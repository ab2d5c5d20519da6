#include "common/smtp/client_limits.hpp"

#include "common/smtp/replies.hpp"

namespace mailpipe::smtp {
namespace {

// Beyond this many remembered addresses, expired records are swept before
// a new one is added, so a guesser rotating addresses cannot grow the map
// without bound (each live record is at most auth_lockout_ms old).
constexpr std::size_t auth_records_sweep_at = 10000;

}  // namespace

ClientLimits::ClientLimits(v1::SmtpLimits limits) : limits_(std::move(limits)) {}

std::optional<Reply> ClientLimits::admit(const std::string& address) {
  if (total_ >= limits_.max_connections()) return replies::too_many_connections();
  uint32_t& mine = per_address_[address];
  if (mine >= limits_.max_connections_per_client()) {
    if (mine == 0) per_address_.erase(address);
    return replies::too_many_connections_from_client();
  }
  ++mine;
  ++total_;
  return std::nullopt;
}

void ClientLimits::release(const std::string& address) {
  const auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
  --total_;
}

bool ClientLimits::auth_locked_out(const std::string& address, Clock::time_point now) const {
  const auto it = auth_.find(address);
  return it != auth_.end() && it->second.locked_until > now;
}

void ClientLimits::auth_failed(const std::string& address, Clock::time_point now) {
  const auto lockout = std::chrono::milliseconds(limits_.auth_lockout_ms());
  if (!auth_.contains(address) && auth_.size() >= auth_records_sweep_at) forget_old_auth_records(now);
  AuthRecord& record = auth_[address];
  if (record.failures == 0 || now - record.window_start > lockout) {
    record.failures = 0;
    record.window_start = now;
  }
  if (++record.failures >= limits_.max_auth_failures_per_client()) record.locked_until = now + lockout;
}

void ClientLimits::auth_succeeded(const std::string& address) { auth_.erase(address); }

std::chrono::milliseconds ClientLimits::auth_failure_delay() const {
  return std::chrono::milliseconds(limits_.auth_failure_delay_ms());
}

void ClientLimits::forget_old_auth_records(Clock::time_point now) {
  const auto lockout = std::chrono::milliseconds(limits_.auth_lockout_ms());
  std::erase_if(auth_, [&](const auto& entry) {
    return entry.second.locked_until <= now && now - entry.second.window_start > lockout;
  });
}

}  // namespace mailpipe::smtp
