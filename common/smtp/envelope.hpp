#pragma once
// Turns what an SMTP session learned into the wire Envelope, the same way
// for every front end (MSA, inbound MX).
#include "common/smtp/policy.hpp"
#include "mailpipe.pb.h"

namespace mailpipe::smtp {

v1::Envelope to_envelope(const SessionInfo& session, const Transaction& transaction);

}  // namespace mailpipe::smtp
