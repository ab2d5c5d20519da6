// mailpipe-loadgen: an SMTP load generator for benchmarks (issue 10).
//
// Sends N messages of S octets over C concurrent sessions to one SMTP
// server (plain, STARTTLS or implicit TLS, optionally AUTH PLAIN), each
// session sending message after message, and reports messages per second
// and the latency from the end of DATA (final dot written) to the 250.
// With --maildir/--sink-dir it also sees each message arrive on disk
// (inotify) and reports the time from the 250 to the file, and the
// throughput as messages on disk / (first connect .. last file).
// With --idle N it holds N idle sessions instead and reports the server's
// memory and whether a new client is still served.
//
// One thread, Asio coroutines: it spends a small fraction of a core even
// at thousands of messages per second (its own CPU time is in the
// summary, to check that it is not the bottleneck). TLS certificates are
// NOT verified: this is a benchmark against a test certificate.
//
// Output: human lines on stderr, one machine line on stdout:
//   summary key=value ...   (throughput run)
//   idle key=value ...      (--idle)
// Exit status 0 when every message was accepted (and seen on disk, when
// watched) or every idle session opened and the probe was served.
#include <sys/resource.h>
#include <unistd.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstdio>
#include <random>

#include "tests/bench/idle_run.hpp"
#include "tests/bench/load_run.hpp"
#include "tests/bench/options.hpp"

namespace {

// Every session and every watched directory is a descriptor.
void raise_open_files(rlim_t wanted) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= wanted) return;
  if (limit.rlim_max < wanted) limit.rlim_max = wanted;  // root may raise the hard limit
  limit.rlim_cur = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    std::fprintf(stderr, "loadgen: warning: open files limited to %llu\n",
                 static_cast<unsigned long long>(limit.rlim_cur));
  }
}

std::string new_run_id() {
  std::random_device random;
  char id[32];
  std::snprintf(id, sizeof id, "%08x%04x", random(), static_cast<unsigned>(::getpid()) & 0xffff);
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mailpipe::bench;
  const Options options = parse_options(argc, argv);
  raise_open_files(static_cast<rlim_t>(options.idle) + options.sessions + 256);

  asio::io_context io(1);
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_none);  // benchmark: self-signed test certificate

  try {
    if (options.idle > 0) {
      IdleRun run(io, tls, options);
      run.start();
      io.run();
      const int status = run.report();
      // 10,000 sockets and their coroutine frames: the kernel closes them faster.
      std::fflush(nullptr);
      ::_exit(status);
    }
    LoadRun run(io, tls, options, new_run_id());
    run.start();
    io.run();
    return run.report();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "mailpipe-loadgen: %s\n", error.what());
    return 2;
  }
}
