#include "mta/retry.hpp"

#include <algorithm>

namespace mailpipe::mta {

int64_t retry_delay_ms(const v1::RetryPolicy& policy, uint32_t failed_attempts, double jitter) {
  const int64_t first = policy.first_retry_ms();
  const int64_t cap = std::max<int64_t>(policy.max_retry_ms(), first);
  int64_t delay = first;
  // Double at most until the cap; also keeps the shift from overflowing.
  for (uint32_t i = 1; i < failed_attempts && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  jitter = std::clamp(jitter, 0.0, 1.0);
  return static_cast<int64_t>(static_cast<double>(delay) * (1.0 - 0.25 * jitter));
}

bool lifetime_expired(const v1::RetryPolicy& policy, int64_t received_unix_ms, int64_t now_unix_ms) {
  return now_unix_ms - received_unix_ms >= static_cast<int64_t>(policy.max_queue_lifetime_ms());
}

}  // namespace mailpipe::mta
