#pragma once
// One line per event on stderr, `key=value`, so an operator can follow a
// message across hosts with grep:
//   ts=2026-11-22T10:00:00.123Z proc=msa level=info event=received queue_id=... from=...
// Values from the network are escaped (no CR/LF/control bytes can forge a
// line). Never pass a password or an AUTH blob to a log line.
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace mailpipe::log {

enum class Level { debug, info, warning, error };

// Call once at start-up. `debug` turns on debug lines (off by default).
void init(std::string_view process_name, bool debug);
bool debug_enabled();

// Escapes a value for a key=value line: quoted when it holds a space, a
// quote, '=' or is empty; control and non-ASCII bytes become \xNN.
std::string escape_value(std::string_view value);

// Builds one line and writes it when destroyed (end of the full expression):
//   log::info("delivered").kv("queue_id", id).kv("to", rcpt);
class Line final {
 public:
  Line(Level level, std::string_view event);
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  ~Line();

  Line& kv(std::string_view key, std::string_view value);
  Line& kv(std::string_view key, const std::string& value) { return kv(key, std::string_view(value)); }
  Line& kv(std::string_view key, const char* value) { return kv(key, std::string_view(value)); }
  template <typename Int>
    requires std::is_integral_v<Int>
  Line& kv(std::string_view key, Int value) {
    return raw(key, std::to_string(value));
  }

 private:
  Line& raw(std::string_view key, std::string_view already_safe);
  bool enabled_;
  std::string text_;
};

inline Line debug(std::string_view event) { return Line(Level::debug, event); }
inline Line info(std::string_view event) { return Line(Level::info, event); }
inline Line warning(std::string_view event) { return Line(Level::warning, event); }
inline Line error(std::string_view event) { return Line(Level::error, event); }

}  // namespace mailpipe::log
