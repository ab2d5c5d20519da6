#pragma once
// What every mailpipe process does the same way at start and stop:
// `--config FILE`, the default host name, SIGTERM/SIGINT as a clean stop.
#include <asio.hpp>
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

// gethostname(), or "localhost" if that fails.
std::string default_hostname();

// Calls `on_stop` once on SIGTERM or SIGINT; ignores SIGPIPE (a peer that
// hangs up is an I/O error, not a reason to die).
void stop_on_signals(asio::io_context& io, std::function<void(int signal)> on_stop);

}  // namespace mailpipe
