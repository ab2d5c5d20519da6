#pragma once
// When to try a deferred recipient again: exponential backoff from
// first_retry_ms, doubling per failed attempt, capped at max_retry_ms, with
// jitter so a queue that filled during an outage does not retry in one
// burst (Postfix: minimal_backoff_time, maximal_backoff_time). After
// max_queue_lifetime_ms since the message was received, give up and bounce
// (RFC 5321 4.5.4.1 suggests 4-5 days).
#include <cstdint>

#include "config.pb.h"

namespace mailpipe::mta {

// Delay before the next attempt, after `failed_attempts` (>= 1) failures.
// `jitter` in [0, 1) spreads the delay over [0.75, 1.0] of its value.
int64_t retry_delay_ms(const v1::RetryPolicy& policy, uint32_t failed_attempts, double jitter);

bool lifetime_expired(const v1::RetryPolicy& policy, int64_t received_unix_ms, int64_t now_unix_ms);

}  // namespace mailpipe::mta
