#pragma once
// Command line of mailpipe-loadgen (see README.md beside this file).
#include <cstdint>
#include <string>
#include <vector>

namespace mailpipe::bench {

enum class Security { plain, starttls, implicit_tls };

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  Security security = Security::plain;
  std::string auth_user;      // --auth USER:PASSFILE
  std::string auth_password;  // read from PASSFILE (first line)
  std::string from = "loadgen@bench.test";
  std::vector<std::string> to;  // one recipient per message, round robin
  std::string ehlo = "loadgen.bench.test";
  uint64_t messages = 1000;
  uint32_t sessions = 10;
  uint64_t size = 10240;  // whole message (header + body), octets
  bool pipelining = false;
  // Messages per second over all sessions (open loop); 0: as fast as the
  // server answers. Closed-loop latency at saturation is just sessions /
  // throughput (Little's law); at a fixed rate it is the server's own.
  double rate = 0;
  // Client source addresses: source_base, source_base+1, ... (sessions
  // take them round robin) so per-address limits and the ephemeral port
  // range are not what is measured.
  std::string source_base = "127.0.0.1";
  uint32_t sources = 1;
  std::vector<std::string> maildirs;   // watch <dir>/new for delivered files
  std::vector<std::string> sink_dirs;  // watch <dir> for closed dump files (smtp-sink -d)
  double wait_s = 120;       // for deliveries after the last 250
  double reply_timeout_s = 60;
  std::string label;         // echoed in the summary line
  // --idle N: hold N idle sessions, then probe a new one.
  uint32_t idle = 0;
  int pid = 0;               // server pid for VmRSS
  double hold_s = 0;         // keep the idle sessions this long after the probe
  uint32_t connect_parallelism = 256;
};

// Parses argv; prints usage and exits on --help or an error.
Options parse_options(int argc, char** argv);

}  // namespace mailpipe::bench
