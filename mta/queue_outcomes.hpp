#pragma once
// What the queue makes of a job's outcomes (QueueRunner::record and
// keep_unbounced live in queue_outcomes.cpp), and the two small rules both
// halves of the queue share.
#include "spool.pb.h"

namespace mailpipe::mta {

// Delivered or bounced: nothing more will be tried for this recipient.
inline bool is_final(const v1::RecipientProgress& progress) { return progress.state() != v1::RECIPIENT_PENDING; }

// A random factor in [0, 1) for retry_delay_ms, so that messages deferred
// together do not all come back in the same second.
double retry_jitter();

// The NOTIFY bits (RFC 3461) the envelope gives `address`; 0 when none.
uint32_t notify_of(const v1::Envelope& envelope, const std::string& address);

}  // namespace mailpipe::mta
