#include "common/log/log.hpp"

#include <atomic>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace mailpipe::log {
namespace {

std::string g_process = "mailpipe";
// Read by worker threads (BlockingWork) while a reload may set it.
std::atomic<bool> g_debug{false};

const char* level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
  }
  return "info";
}

std::string utc_timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t secs = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

void init(std::string_view process_name, bool debug) {
  // A reload calls this again with the same name while workers log: only
  // the first call (still single-threaded) writes the string.
  if (g_process != process_name) g_process = std::string(process_name);
  g_debug = debug;
}

bool debug_enabled() { return g_debug; }

std::string escape_value(std::string_view value) {
  bool quote = value.empty();
  std::string out;
  out.reserve(value.size() + 2);
  for (unsigned char c : value) {
    if (c == ' ' || c == '"' || c == '=') quote = true;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return quote ? "\"" + out + "\"" : out;
}

Line::Line(Level level, std::string_view event) : enabled_(level != Level::debug || g_debug) {
  if (!enabled_) return;
  text_.reserve(160);
  text_ += "ts=";
  text_ += utc_timestamp();
  text_ += " proc=";
  text_ += g_process;
  text_ += " level=";
  text_ += level_name(level);
  text_ += " event=";
  text_ += escape_value(event);
}

Line::~Line() {
  if (!enabled_) return;
  text_ += '\n';
  // One write(2) per line so lines from concurrent writers never interleave.
  const char* p = text_.data();
  size_t left = text_.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

Line& Line::kv(std::string_view key, std::string_view value) {
  if (!enabled_) return *this;
  return raw(key, escape_value(value));
}

Line& Line::raw(std::string_view key, std::string_view already_safe) {
  if (!enabled_) return *this;
  text_ += ' ';
  text_ += key;
  text_ += '=';
  text_ += already_safe;
  return *this;
}

}  // namespace mailpipe::log
