#include "mta/retry.hpp"

#include <gtest/gtest.h>

namespace mailpipe::mta {
namespace {

v1::RetryPolicy policy(uint32_t first, uint32_t max, uint64_t lifetime = 1000000) {
  v1::RetryPolicy p;
  p.set_first_retry_ms(first);
  p.set_max_retry_ms(max);
  p.set_max_queue_lifetime_ms(lifetime);
  return p;
}

TEST(Retry, FirstDelayIsFirstRetry) { EXPECT_EQ(retry_delay_ms(policy(300000, 4000000), 1, 0.0), 300000); }

// Delays without jitter after each number of failed attempts.
void expect_delays(const v1::RetryPolicy& p, std::initializer_list<std::pair<uint32_t, int64_t>> cases) {
  for (const auto& [failures, delay] : cases) EXPECT_EQ(retry_delay_ms(p, failures, 0.0), delay) << failures;
}

TEST(Retry, DoublesPerFailure) { expect_delays(policy(1000, 1000000), {{2, 2000}, {3, 4000}, {5, 16000}}); }

TEST(Retry, CappedAtMaxRetry) {
  expect_delays(policy(1000, 5000), {{10, 5000}, {4000000000u, 5000}});  // no overflow
}

TEST(Retry, JitterShortensByAtMostAQuarter) {
  const auto p = policy(1000, 1000);
  EXPECT_EQ(retry_delay_ms(p, 1, 0.999999), 750);
  EXPECT_GE(retry_delay_ms(p, 1, 0.5), 750);
  EXPECT_LE(retry_delay_ms(p, 1, 0.5), 1000);
}

TEST(Retry, DefaultsMatchPostfixScale) {
  const v1::RetryPolicy defaults;
  EXPECT_EQ(defaults.first_retry_ms(), 300000u);
  EXPECT_EQ(defaults.max_queue_lifetime_ms(), 5ull * 24 * 3600 * 1000);
}

TEST(Retry, LifetimeExpiresAtLimit) {
  const auto p = policy(1000, 1000, 10000);
  EXPECT_FALSE(lifetime_expired(p, 0, 9999));
  EXPECT_TRUE(lifetime_expired(p, 0, 10000));
}

}  // namespace
}  // namespace mailpipe::mta
