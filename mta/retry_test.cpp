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

TEST(Retry, DoublesPerFailure) {
  const auto p = policy(1000, 1000000);
  EXPECT_EQ(retry_delay_ms(p, 2, 0.0), 2000);
  EXPECT_EQ(retry_delay_ms(p, 3, 0.0), 4000);
  EXPECT_EQ(retry_delay_ms(p, 5, 0.0), 16000);
}

TEST(Retry, CappedAtMaxRetry) {
  const auto p = policy(1000, 5000);
  EXPECT_EQ(retry_delay_ms(p, 10, 0.0), 5000);
  EXPECT_EQ(retry_delay_ms(p, 4000000000u, 0.0), 5000);  // no overflow
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
