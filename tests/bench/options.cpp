#include "tests/bench/options.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string_view>

namespace mailpipe::bench {
namespace {

constexpr const char* usage = R"(usage: mailpipe-loadgen --port P [options]
  --host H                 server address (127.0.0.1)
  --messages N, -n N       messages to send (1000)
  --sessions C, -c C       concurrent SMTP sessions, each sends many (10)
  --size S                 message size in octets, k/m suffix allowed (10k)
  --rate R                 open loop: message k starts at k/R s, whoever is free sends it
                           (0: closed loop, each session sends its next at once)
  --from ADDR              MAIL FROM (loadgen@bench.test)
  --to ADDR                RCPT TO; repeat for several (round robin)
  --starttls               STARTTLS after EHLO (no certificate check)
  --implicit-tls           TLS from the first byte (no certificate check)
  --auth USER:PASSFILE     AUTH PLAIN as USER, password = first line of PASSFILE
  --pipelining             MAIL, RCPT and DATA in one write (RFC 2920)
  --source-base IP         first client source address (127.0.0.1)
  --sources K              use K source addresses from --source-base on (1)
  --maildir DIR            count a message done when it appears in DIR/new (repeatable)
  --sink-dir DIR           count a message done when its dump file in DIR is closed (repeatable)
  --wait S                 wait at most S seconds for deliveries after the last 250 (120)
  --reply-timeout S        per reply (60)
  --label TEXT             echoed in the summary line
  --idle N                 idle mode: N sessions EHLO then hold; then probe a new one
  --pid PID                server pid: its VmRSS is reported (idle mode)
  --hold S                 idle mode: hold the sessions S seconds after the probe (0)
  --connect-parallelism K  idle mode: connections being opened at once (256)
)";

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "mailpipe-loadgen: %s\n%s", message.c_str(), usage);
  std::exit(2);
}

uint64_t parse_count(std::string_view text, const std::string& option) {
  if (text.empty()) fail(option + ": empty value");
  uint64_t multiplier = 1;
  const char last = text.back();
  if (last == 'k' || last == 'K') multiplier = 1024;
  if (last == 'm' || last == 'M') multiplier = 1024 * 1024;
  if (multiplier != 1) text.remove_suffix(1);
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') fail(option + ": not a number: " + std::string(text));
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value * multiplier;
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("cannot read password file " + path);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(option + " needs a value");
      return argv[++i];
    };
    if (option == "--help" || option == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else if (option == "--host") {
      options.host = value();
    } else if (option == "--port") {
      options.port = static_cast<uint16_t>(parse_count(value(), option));
    } else if (option == "--messages" || option == "-n") {
      options.messages = parse_count(value(), option);
    } else if (option == "--sessions" || option == "-c") {
      options.sessions = static_cast<uint32_t>(parse_count(value(), option));
    } else if (option == "--size") {
      options.size = parse_count(value(), option);
    } else if (option == "--rate") {
      options.rate = std::stod(value());
      if (!(options.rate >= 0)) fail("--rate must be 0 or more");
    } else if (option == "--from") {
      options.from = value();
    } else if (option == "--to") {
      options.to.push_back(value());
    } else if (option == "--ehlo") {
      options.ehlo = value();
    } else if (option == "--starttls") {
      options.security = Security::starttls;
    } else if (option == "--implicit-tls") {
      options.security = Security::implicit_tls;
    } else if (option == "--auth") {
      const std::string spec = value();
      const auto colon = spec.rfind(':');
      if (colon == std::string::npos) fail("--auth wants USER:PASSFILE");
      options.auth_user = spec.substr(0, colon);
      options.auth_password = read_first_line(spec.substr(colon + 1));
    } else if (option == "--pipelining") {
      options.pipelining = true;
    } else if (option == "--source-base") {
      options.source_base = value();
    } else if (option == "--sources") {
      options.sources = static_cast<uint32_t>(parse_count(value(), option));
    } else if (option == "--maildir") {
      options.maildirs.push_back(value());
    } else if (option == "--sink-dir") {
      options.sink_dirs.push_back(value());
    } else if (option == "--wait") {
      options.wait_s = std::stod(value());
    } else if (option == "--reply-timeout") {
      options.reply_timeout_s = std::stod(value());
    } else if (option == "--label") {
      options.label = value();
    } else if (option == "--idle") {
      options.idle = static_cast<uint32_t>(parse_count(value(), option));
    } else if (option == "--pid") {
      options.pid = static_cast<int>(parse_count(value(), option));
    } else if (option == "--hold") {
      options.hold_s = std::stod(value());
    } else if (option == "--connect-parallelism") {
      options.connect_parallelism = static_cast<uint32_t>(parse_count(value(), option));
    } else {
      fail("unknown option " + option);
    }
  }
  if (options.port == 0) fail("--port is required");
  if (options.idle == 0 && options.to.empty()) fail("--to is required (unless --idle)");
  if (options.sessions == 0 || options.sources == 0 || options.connect_parallelism == 0) {
    fail("--sessions, --sources and --connect-parallelism must be at least 1");
  }
  if (!options.auth_user.empty() && options.security == Security::plain) {
    fail("--auth needs --starttls or --implicit-tls");
  }
  return options;
}

}  // namespace mailpipe::bench
