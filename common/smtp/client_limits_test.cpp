#include "common/smtp/client_limits.hpp"

#include <gtest/gtest.h>

namespace mailpipe::smtp {
namespace {

using namespace std::chrono_literals;

v1::SmtpLimits limits(uint32_t total, uint32_t per_client, uint32_t auth_failures = 3, uint32_t lockout_ms = 1000) {
  v1::SmtpLimits out;
  out.set_max_connections(total);
  out.set_max_connections_per_client(per_client);
  out.set_max_auth_failures_per_client(auth_failures);
  out.set_auth_lockout_ms(lockout_ms);
  return out;
}

std::string code_of(const std::optional<Reply>& reply) {
  return reply ? std::to_string(reply->code) + " " + reply->enhanced : "admitted";
}

TEST(ClientLimits, RefusesTheConnectionBeyondThePerClientLimitWith421) {
  const auto config = limits(100, 2);
  ClientLimits clients(config);
  EXPECT_EQ(code_of(clients.admit("192.0.2.1")), "admitted");
  EXPECT_EQ(code_of(clients.admit("192.0.2.1")), "admitted");
  EXPECT_EQ(code_of(clients.admit("192.0.2.1")), "421 4.7.0");
  EXPECT_EQ(code_of(clients.admit("192.0.2.2")), "admitted");  // others are not affected
  clients.release("192.0.2.1");
  EXPECT_EQ(code_of(clients.admit("192.0.2.1")), "admitted");
  EXPECT_EQ(clients.connections(), 3u);
}

TEST(ClientLimits, RefusesBeyondTheTotal) {
  const auto config = limits(2, 10);
  ClientLimits clients(config);
  EXPECT_EQ(code_of(clients.admit("192.0.2.1")), "admitted");
  EXPECT_EQ(code_of(clients.admit("192.0.2.2")), "admitted");
  const auto refused = clients.admit("192.0.2.3");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, 421);
  EXPECT_EQ(refused->text, "Too many connections, try again later");
  clients.release("192.0.2.2");
  EXPECT_EQ(code_of(clients.admit("192.0.2.3")), "admitted");
}

TEST(ClientLimits, ReleaseOfAnUnknownAddressChangesNothing) {
  const auto config = limits(2, 2);
  ClientLimits clients(config);
  clients.admit("192.0.2.1");
  clients.release("198.51.100.1");
  EXPECT_EQ(clients.connections(), 1u);
}

// Failed logins from one address against a lockout of 1 s after
// `max_failures`, at times given from t0.
struct Guesses {
  explicit Guesses(uint32_t max_failures) : clients(limits(10, 10, max_failures, 1000)) {}
  void fail_at(std::chrono::milliseconds at) { clients.auth_failed("192.0.2.1", t0 + at); }
  bool locked_at(std::chrono::milliseconds at, const std::string& address = "192.0.2.1") const {
    return clients.auth_locked_out(address, t0 + at);
  }

  ClientLimits clients;
  const ClientLimits::Clock::time_point t0 = ClientLimits::Clock::now();
};

TEST(ClientLimits, LocksAnAddressOutAfterTooManyFailuresForAWhile) {
  Guesses guesses(3);
  guesses.fail_at(0ms);
  guesses.fail_at(10ms);
  EXPECT_FALSE(guesses.locked_at(20ms));
  guesses.fail_at(20ms);
  EXPECT_TRUE(guesses.locked_at(30ms));
  EXPECT_FALSE(guesses.locked_at(30ms, "192.0.2.2"));
  EXPECT_TRUE(guesses.locked_at(1010ms));
  EXPECT_FALSE(guesses.locked_at(1030ms));
}

TEST(ClientLimits, FailuresSpreadBeyondTheWindowDoNotLockOut) {
  Guesses guesses(3);
  guesses.fail_at(0ms);
  guesses.fail_at(500ms);
  guesses.fail_at(1600ms);  // a new window
  EXPECT_FALSE(guesses.locked_at(1700ms));
}

TEST(ClientLimits, SuccessForgetsEarlierFailures) {
  Guesses guesses(2);
  guesses.fail_at(0ms);
  guesses.clients.auth_succeeded("192.0.2.1");
  guesses.fail_at(1ms);
  EXPECT_FALSE(guesses.locked_at(2ms));
}

TEST(ClientLimits, ManyGuessingAddressesDoNotGrowWithoutBound) {
  const auto config = limits(10, 10, 1, 1000);
  ClientLimits clients(config);
  const auto t0 = ClientLimits::Clock::now();
  for (int i = 0; i < 20000; ++i) clients.auth_failed("10.0." + std::to_string(i), t0);
  // All still locked out within the window: kept.
  EXPECT_TRUE(clients.auth_locked_out("10.0.1", t0 + 1ms));
  EXPECT_EQ(clients.remembered_auth_addresses(), 20000u);
  // Later, expired ones are swept as new addresses come.
  for (int i = 0; i < 20000; ++i) clients.auth_failed("10.1." + std::to_string(i), t0 + 5000ms);
  EXPECT_EQ(clients.remembered_auth_addresses(), 20000u);
  EXPECT_FALSE(clients.auth_locked_out("10.0.1", t0 + 5001ms));
}

}  // namespace
}  // namespace mailpipe::smtp
