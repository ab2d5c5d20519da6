#pragma once
// The kinds of delivery report (DSN) the MTA sends, who asks for which
// (RFC 3461 4.1 NOTIFY), and the words each kind uses.
#include <cstdint>
#include <string>

namespace mailpipe::mta {

// What a report tells the sender (RFC 3464 2.3.3 Action).
enum class ReportKind {
  failed,     // permanent failure or queue lifetime over: the bounce
  delayed,    // still deferred after retry.delay_warning_ms; retried on
  delivered,  // delivered to the mailbox, NOTIFY=SUCCESS
  relayed,    // handed to a next hop without DSN, NOTIFY=SUCCESS (RFC 3461 5.2.2)
};

// RFC 3461 4.1: does a recipient with these NOTIFY bits want a failure DSN?
bool wants_failure_notice(uint32_t notify);
// And a report of this kind? No NOTIFY means FAILURE,DELAY; NEVER, none.
bool wants_report(ReportKind kind, uint32_t notify);

const char* report_subject(ReportKind kind);
const char* report_action(ReportKind kind);  // RFC 3464 2.3.3
// The human-readable opening of a report other than a bounce (whose own
// text stays in bounce.cpp).
std::string report_opening(ReportKind kind);

}  // namespace mailpipe::mta
