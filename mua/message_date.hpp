#pragma once
// Dates from Date: fields (RFC 5322 3.3, with the obsolete forms of 4.3
// that real mail still carries: two-digit years, zone names such as GMT
// and EST, no seconds), shown in the reader's local time.
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace mailpipe::mua {

std::optional<std::time_t> parse_message_date(std::string_view text);

// "2026-11-23 10:00" in local time.
std::string short_local_date(std::time_t when);

}  // namespace mailpipe::mua
