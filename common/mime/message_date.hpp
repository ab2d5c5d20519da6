#pragma once
// Dates in messages (RFC 5322 3.3): written for Date:, Received: and the
// bounce report's date fields, and read from Date: fields (with the
// obsolete forms of 4.3 that real mail still carries: two-digit years,
// zone names such as GMT and EST, no seconds), shown in the reader's local
// time.
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace mailpipe::mime {

// RFC 5322 3.3 date-time in local time with a numeric zone:
// "Mon, 23 Nov 2026 10:00:00 +0100". The day and month names are spelled
// out here, not taken from strftime's %a and %b, which follow the locale.
std::string rfc5322_date(std::time_t when);

std::optional<std::time_t> parse_message_date(std::string_view text);

// "2026-11-23 10:00" in local time.
std::string short_local_date(std::time_t when);

}  // namespace mailpipe::mime
