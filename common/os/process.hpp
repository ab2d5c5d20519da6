#pragma once
// What every mailpipe process does the same way at start and stop:
// `--config FILE`, the default host name, SIGTERM/SIGINT as a clean stop.
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace mailpipe {

struct ProcessArgs {
  std::string config_path;
  bool check_only = false;  // --check: load and validate the config, then exit
};

// Exits with status 2 and a usage line on bad arguments.
ProcessArgs parse_process_args(int argc, char** argv, std::string_view process_name);

// The whole main() of a process: parses the arguments, calls `run`, and
// turns a start-up exception into one `event=startup_failed` log line and
// exit status 1, so an operator sees what is wrong and where.
int run_process(int argc, char** argv, std::string_view process_name,
                const std::function<int(const ProcessArgs&)>& run);

// Milliseconds since the Unix epoch, the time unit of the wire and spool.
int64_t unix_ms_now();

// gethostname(), or "localhost" if that fails.
std::string default_hostname();

// Graceful stop: checks `idle` every few milliseconds until it says true
// or `bound` has passed, then calls `finish(drained)` on the event loop.
void when_idle(asio::io_context& io, std::function<bool()> idle, std::chrono::milliseconds bound,
               std::function<void(bool drained)> finish);

// Calls `on_reload` on every SIGHUP (on the event loop, like any handler).
void reload_on_sighup(asio::io_context& io, std::function<void()> on_reload);

// Calls `on_stop` once on SIGTERM or SIGINT; ignores SIGPIPE (a peer that
// hangs up is an I/O error, not a reason to die).
void stop_on_signals(asio::io_context& io, std::function<void(int signal)> on_stop);

}  // namespace mailpipe
