#include "tests/bench/idle_run.hpp"

#include <dirent.h>

#include <cstdio>
#include <fstream>

#include "tests/bench/source_addresses.hpp"

namespace mailpipe::bench {
namespace {

// A field of /proc/<pid>/status in kB (VmRSS, VmHWM) or as a count
// (Threads); -1 when unknown.
long proc_status_field(int pid, const std::string& field) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

long open_fds(int pid) {
  if (pid <= 0) return -1;
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return -1;
  long count = 0;
  while (const dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
  ::closedir(dir);
  return count;
}

double ms_since(std::chrono::steady_clock::time_point from) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - from).count();
}

}  // namespace

IdleRun::IdleRun(asio::io_context& io, asio::ssl::context& tls, const Options& options)
    : io_(io), tls_(tls), options_(options), server_(asio::ip::make_address(options.host), options.port) {
  connections_.reserve(options.idle);
}

void IdleRun::start() {
  rss_before_kb_ = proc_status_field(options_.pid, "VmRSS");
  started_ = Clock::now();
  const uint32_t openers = std::min(options_.connect_parallelism, options_.idle);
  for (uint32_t i = 0; i < openers; ++i) {
    ++openers_;
    asio::co_spawn(io_, opener(), asio::detached);
  }
}

asio::awaitable<void> IdleRun::greet(ClientConnection& connection, const asio::ip::address& source) {
  co_await connection.connect(source, server_);
  if (options_.security == Security::implicit_tls) co_await connection.handshake();
  const SmtpReply banner = co_await connection.read_reply();
  if (banner.code != 220) throw std::runtime_error("banner: " + banner.text);
  co_await connection.write("EHLO " + options_.ehlo + "\r\n");
  const SmtpReply ehlo = co_await connection.read_reply();
  if (ehlo.code != 250) throw std::runtime_error("EHLO: " + ehlo.text);
}

asio::awaitable<void> IdleRun::opener() {
  while (next_ < options_.idle) {
    const uint32_t index = next_++;
    auto connection = std::make_unique<ClientConnection>(io_, tls_);
    connection->set_reply_timeout(std::chrono::milliseconds(static_cast<int64_t>(options_.reply_timeout_s * 1000)));
    try {
      co_await greet(*connection, source_address(options_.source_base, index % options_.sources));
      ++opened_;
      connections_.push_back(std::move(connection));
      asio::co_spawn(io_, hold(*connections_.back()), asio::detached);
    } catch (const std::exception& error) {
      if (failed_++ == 0) first_error_ = error.what();
    }
  }
  if (--openers_ == 0) {
    open_s_ = std::chrono::duration<double>(Clock::now() - started_).count();
    asio::co_spawn(io_, measure(), asio::detached);
  }
}

asio::awaitable<void> IdleRun::hold(ClientConnection& connection) {
  try {
    co_await connection.wait_closed();
  } catch (const std::exception&) {
    if (!closing_) ++dropped_;  // the server closed it (or it broke)
  }
}

asio::awaitable<void> IdleRun::sleep(double seconds) {
  asio::steady_timer timer(io_, std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<IdleRun::Probe> IdleRun::probe() {
  Probe result;
  ClientConnection connection(io_, tls_);
  connection.set_reply_timeout(std::chrono::milliseconds(10000));
  try {
    auto start = Clock::now();
    // A source address none of the idle sessions uses.
    co_await connection.connect(source_address(options_.source_base, options_.sources), server_);
    if (options_.security == Security::implicit_tls) co_await connection.handshake();
    const SmtpReply banner = co_await connection.read_reply();
    result.banner_ms = ms_since(start);
    if (banner.code != 220) throw std::runtime_error("banner: " + banner.text);
    start = Clock::now();
    co_await connection.write("EHLO probe.bench.test\r\n");
    const SmtpReply ehlo = co_await connection.read_reply();
    result.ehlo_ms = ms_since(start);
    if (ehlo.code != 250) throw std::runtime_error("EHLO: " + ehlo.text);
    co_await connection.write("QUIT\r\n");
    co_await connection.read_reply();
    result.ok = true;
  } catch (const std::exception& error) {
    result.error = error.what();
  }
  co_return result;
}

asio::awaitable<void> IdleRun::measure() {
  co_await sleep(1.0);  // let the server settle after the burst of connects
  rss_idle_kb_ = proc_status_field(options_.pid, "VmRSS");
  hwm_kb_ = proc_status_field(options_.pid, "VmHWM");
  fds_ = open_fds(options_.pid);
  threads_ = proc_status_field(options_.pid, "Threads");
  probe_ = co_await probe();
  dropped_at_probe_ = dropped_;
  if (options_.hold_s > 0) {
    co_await sleep(options_.hold_s);
    probe_after_hold_ = co_await probe();
    rss_after_hold_kb_ = proc_status_field(options_.pid, "VmRSS");
  }
  closing_ = true;
  for (auto& connection : connections_) connection->close();
  io_.stop();
}

int IdleRun::report() const {
  const long per_session_b = (rss_idle_kb_ > 0 && rss_before_kb_ > 0 && opened_ > 0)
                                 ? (rss_idle_kb_ - rss_before_kb_) * 1024 / static_cast<long>(opened_)
                                 : -1;
  std::fprintf(stderr,
               "loadgen: %u of %u idle sessions open in %.2fs (%u failed%s%s), %u closed by the server; "
               "server RSS %ld kB -> %ld kB (%ld B per session), %ld fds; new client: %s, banner %.2f ms, "
               "EHLO %.2f ms\n",
               opened_, options_.idle, open_s_, failed_, failed_ ? ": " : "", first_error_.c_str(),
               dropped_at_probe_, rss_before_kb_, rss_idle_kb_, per_session_b, fds_,
               probe_.ok ? "served" : ("NOT served: " + probe_.error).c_str(), probe_.banner_ms, probe_.ehlo_ms);
  std::printf("idle label=%s sessions=%u opened=%u failed=%u open_s=%.2f dropped=%u rss_before_kb=%ld rss_kb=%ld "
              "hwm_kb=%ld rss_per_session_b=%ld fds=%ld threads=%ld probe=%s probe_banner_ms=%.2f "
              "probe_ehlo_ms=%.2f",
              options_.label.empty() ? "-" : options_.label.c_str(), options_.idle, opened_, failed_, open_s_,
              dropped_at_probe_, rss_before_kb_, rss_idle_kb_, hwm_kb_, per_session_b, fds_, threads_,
              probe_.ok ? "ok" : "failed", probe_.banner_ms, probe_.ehlo_ms);
  if (options_.hold_s > 0) {
    std::printf(" hold_s=%.0f dropped_after_hold=%u probe_after_hold=%s rss_after_hold_kb=%ld", options_.hold_s,
                dropped_, probe_after_hold_.ok ? "ok" : "failed", rss_after_hold_kb_);
  }
  std::printf("\n");
  std::fflush(stdout);
  return opened_ == options_.idle && probe_.ok ? 0 : 1;
}

}  // namespace mailpipe::bench
