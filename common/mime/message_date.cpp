#include "common/mime/message_date.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <vector>

#include "common/smtp/address.hpp"

namespace mailpipe::mime {
namespace {

constexpr std::array<std::string_view, 7> days = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// RFC 5322 4.3 obs-zone, in minutes east of UTC. Military letters are
// ambiguous in practice (RFC 5322 says treat them as -0000): so are unknowns.
std::optional<int> zone_minutes(std::string_view zone) {
  if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-')) {
    for (char c : zone.substr(1)) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    const int hours = (zone[1] - '0') * 10 + (zone[2] - '0');
    const int minutes = (zone[3] - '0') * 10 + (zone[4] - '0');
    if (minutes > 59) return std::nullopt;
    return (zone[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const std::string name = smtp::lowercase_ascii(zone);
  if (name == "ut" || name == "gmt" || name == "utc" || name == "z") return 0;
  if (name == "edt") return -4 * 60;
  if (name == "est" || name == "cdt") return -5 * 60;
  if (name == "cst" || name == "mdt") return -6 * 60;
  if (name == "mst" || name == "pdt") return -7 * 60;
  if (name == "pst") return -8 * 60;
  return 0;
}

bool all_digits(std::string_view text) {
  if (text.empty() || text.size() > 4) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int number(std::string_view text) {
  int n = 0;
  for (char c : text) n = n * 10 + (c - '0');
  return n;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
// days_from_civil): no timegm(), no TZ environment games.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::tm local_time(std::time_t when) {
  std::tm local{};
  if (localtime_r(&when, &local) == nullptr) gmtime_r(&when, &local);
  return local;
}

}  // namespace

std::string rfc5322_date(std::time_t when) {
  const std::tm tm = local_time(when);
  char zone[16] = "+0000";
  std::strftime(zone, sizeof zone, "%z", &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d %s", days[tm.tm_wday % 7].data(), tm.tm_mday,
                months[tm.tm_mon % 12].data(), tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
  return text;
}

std::optional<std::time_t> parse_message_date(std::string_view text) {
  // Comments and the day name go; what is left is words split on space,
  // comma and colon: day month year hour minute [second] zone.
  std::vector<std::string_view> words;
  int depth = 0;
  std::size_t start = std::string_view::npos;
  for (std::size_t i = 0; i <= text.size() && words.size() < 12; ++i) {
    const char c = i < text.size() ? text[i] : ' ';
    const bool separator = c == ' ' || c == '\t' || c == ',' || c == ':' || c == '(' || c == ')' || c == '\r' || c == '\n';
    if (separator && start != std::string_view::npos) {
      if (depth == 0) words.push_back(text.substr(start, i - start));
      start = std::string_view::npos;
    }
    if (c == '(') ++depth;
    if (c == ')' && depth > 0) --depth;
    if (!separator && start == std::string_view::npos) start = i;
  }
  if (!words.empty() && !all_digits(words[0])) words.erase(words.begin());  // "Mon"
  if (words.size() < 5) return std::nullopt;
  if (!all_digits(words[0]) || !all_digits(words[2]) || !all_digits(words[3]) || !all_digits(words[4])) {
    return std::nullopt;
  }
  const std::string month_name = smtp::lowercase_ascii(words[1].substr(0, 3));
  unsigned month = 0;
  for (unsigned i = 0; i < months.size(); ++i) {
    if (smtp::lowercase_ascii(months[i]) == month_name) month = i + 1;
  }
  int year = number(words[2]);
  // RFC 5322 4.3: two digits below 50 are 20xx, others 19xx; three digits add 1900.
  if (words[2].size() == 2) year += year < 50 ? 2000 : 1900;
  if (words[2].size() == 3) year += 1900;
  const int day = number(words[0]);
  const int hour = number(words[3]);
  const int minute = number(words[4]);
  std::size_t next = 5;
  int second = 0;
  if (words.size() > next && all_digits(words[next])) second = number(words[next++]);
  const std::optional<int> zone = words.size() > next ? zone_minutes(words[next]) : std::optional<int>(0);
  if (month == 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || !zone) return std::nullopt;
  const int64_t days = days_from_civil(year, month, static_cast<unsigned>(day));
  return static_cast<std::time_t>(days * 86400 + hour * 3600 + minute * 60 + second - *zone * 60);
}

std::string short_local_date(std::time_t when) {
  const std::tm local = local_time(when);
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &local);
  return std::string(text, n);
}

}  // namespace mailpipe::mime
