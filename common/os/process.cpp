#include "common/os/process.hpp"

#include <malloc.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <exception>
#include <memory>

#include "common/log/log.hpp"

namespace mailpipe {

ProcessArgs parse_process_args(int argc, char** argv, std::string_view process_name) {
  ProcessArgs args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      args.config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      args.config_path = std::string(arg.substr(9));
    } else if (arg == "--check") {
      args.check_only = true;
    } else {
      args.config_path.clear();
      break;
    }
  }
  if (args.config_path.empty()) {
    std::fprintf(stderr, "usage: %.*s --config FILE [--check]\n", static_cast<int>(process_name.size()),
                 process_name.data());
    std::exit(2);
  }
  return args;
}

namespace {

// Message bodies are buffers of up to max_message_size, made and freed for
// every message. glibc serves blocks over 128 KiB with a fresh mmap and
// gives them back on free (or trims the heap), so each 1 MiB body cost 256
// page faults every time it was copied into a new buffer: a third of the
// mta's CPU in the 1 MiB benchmark. Keep such blocks in the heap and keep
// freed memory around for the next message instead.
void keep_message_buffers_in_heap() {
  // 32 MiB is the most glibc takes on 64-bit (above max_message_bytes'
  // 25 MiB default); larger blocks are rare enough to map.
  constexpr int mmap_threshold = 32 << 20;
  constexpr int trim_threshold = 64 << 20;  // heap memory kept after a burst, per arena
  // Setting either turns glibc's own adjustment off: set the trim threshold
  // only if the first call took, or every message block would be mapped.
  if (::mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1) ::mallopt(M_TRIM_THRESHOLD, trim_threshold);
}

}  // namespace

int run_process(int argc, char** argv, std::string_view process_name,
                const std::function<int(const ProcessArgs&)>& run) {
  keep_message_buffers_in_heap();
  const ProcessArgs args = parse_process_args(argc, argv, process_name);
  try {
    return run(args);
  } catch (const std::exception& e) {
    log::init(process_name, false);
    log::error("startup_failed").kv("error", e.what());
    return 1;
  }
}

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string default_hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

namespace {

// Parameters, not lambda captures: they live in the coroutine frame.
asio::awaitable<void> wait_until_idle(std::function<bool()> idle, std::chrono::milliseconds bound,
                                      std::function<void(bool)> finish) {
  // Polling is enough here: a stop happens once, and 20 ms is nothing
  // next to the sessions and deliveries it waits for.
  constexpr auto poll = std::chrono::milliseconds(20);
  const auto deadline = std::chrono::steady_clock::now() + bound;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool drained = true;
  while (!idle()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      drained = false;
      break;
    }
    timer.expires_after(poll);
    asio::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  finish(drained);
}

}  // namespace

void when_idle(asio::io_context& io, std::function<bool()> idle, std::chrono::milliseconds bound,
               std::function<void(bool drained)> finish) {
  asio::co_spawn(io, wait_until_idle(std::move(idle), bound, std::move(finish)), asio::detached);
}

namespace {

// Parameters, not lambda captures: they live in the coroutine frame.
asio::awaitable<void> reload_loop(asio::io_context& io, std::function<void()> on_reload) {
  asio::signal_set signals(io, SIGHUP);
  for (;;) {
    asio::error_code ec;
    co_await signals.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    on_reload();
  }
}

}  // namespace

void reload_on_sighup(asio::io_context& io, std::function<void()> on_reload) {
  asio::co_spawn(io, reload_loop(io, std::move(on_reload)), asio::detached);
}

void stop_on_signals(asio::io_context& io, std::function<void(int)> on_stop) {
  std::signal(SIGPIPE, SIG_IGN);
  auto signals = std::make_shared<asio::signal_set>(io, SIGTERM, SIGINT);
  signals->async_wait([signals, on_stop = std::move(on_stop)](const asio::error_code& ec, int signal) {
    if (!ec) on_stop(signal);
  });
}

}  // namespace mailpipe
