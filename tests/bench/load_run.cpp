#include "tests/bench/load_run.hpp"

#include <openssl/evp.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

#include "tests/bench/latency.hpp"
#include "tests/bench/source_addresses.hpp"

namespace mailpipe::bench {
namespace {

using Clock = LoadRun::Clock;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Printable ASCII lines of 76 characters and CRLF (never starting with
// '.', so no dot-stuffing), about `octets` long in all, then the end of DATA.
std::string make_body(std::size_t octets) {
  std::string body;
  body.reserve(octets + 8);
  static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::size_t line = 0;
  while (body.size() + 2 < octets) {
    const std::size_t length = std::min<std::size_t>(76, octets - body.size() - 2);
    for (std::size_t i = 0; i < length; ++i) body += alphabet[(line + i) % alphabet.size()];
    body += "\r\n";
    ++line;
  }
  body += ".\r\n";
  return body;
}

double cpu_seconds_self() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

LoadRun::LoadRun(asio::io_context& io, asio::ssl::context& tls, const Options& options, std::string run_id)
    : io_(io),
      tls_(tls),
      options_(options),
      run_id_(std::move(run_id)),
      server_(asio::ip::make_address(options.host), options.port),
      watch_(io, run_id_, [this](uint64_t seq, Clock::time_point at) { on_delivered(seq, at); }),
      wait_timer_(io),
      dot_sent_(options.messages),
      accepted_at_(options.messages),
      on_disk_(options.messages) {
  const std::size_t header = message_header(options.messages).size();
  body_ = make_body(options.size > header ? options.size - header : 0);
  for (const auto& dir : options.maildirs) watch_.watch_maildir(dir);
  for (const auto& dir : options.sink_dirs) watch_.watch_sink_dir(dir);
}

std::string LoadRun::message_header(uint64_t seq) const {
  // The token comes first: it is what DeliveryWatch looks for.
  const std::string id = std::to_string(seq);
  return "X-Loadgen-Token: " + run_id_ + "." + id + "\r\n" +
         "From: <" + options_.from + ">\r\n" +
         "To: <" + recipient(seq) + ">\r\n" +
         "Subject: loadgen " + run_id_ + " " + id + "\r\n" +
         "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n" +
         "Message-ID: <" + id + "." + run_id_ + "@loadgen.bench.test>\r\n" +
         "\r\n";
}

void LoadRun::start() {
  started_ = Clock::now();
  watch_.start();
  if (options_.messages == 0) {
    finish();
    return;
  }
  for (uint32_t i = 0; i < options_.sessions; ++i) {
    ++active_sessions_;
    asio::co_spawn(io_, session(i), asio::detached);
  }
}

void LoadRun::note_failure(const std::string& what) {
  // A handful is enough to tell what went wrong; the count is in the summary.
  if (failures_logged_++ < 10) std::fprintf(stderr, "loadgen: %s\n", what.c_str());
}

asio::awaitable<SmtpReply> LoadRun::expect(ClientConnection& connection, int code, const char* what) {
  SmtpReply reply = co_await connection.read_reply();
  if (reply.code != code) note_failure(std::string(what) + ": " + reply.text);
  co_return reply;
}

asio::awaitable<void> LoadRun::open_session(ClientConnection& connection, const asio::ip::address& source) {
  co_await connection.connect(source, server_);
  if (options_.security == Security::implicit_tls) co_await connection.handshake();
  if ((co_await expect(connection, 220, "banner")).code != 220) throw std::runtime_error("no banner");
  co_await connection.write("EHLO " + options_.ehlo + "\r\n");
  if ((co_await expect(connection, 250, "EHLO")).code != 250) throw std::runtime_error("EHLO refused");
  if (options_.security == Security::starttls) {
    co_await connection.write("STARTTLS\r\n");
    if ((co_await expect(connection, 220, "STARTTLS")).code != 220) throw std::runtime_error("STARTTLS refused");
    co_await connection.handshake();
    co_await connection.write("EHLO " + options_.ehlo + "\r\n");
    if ((co_await expect(connection, 250, "EHLO")).code != 250) throw std::runtime_error("EHLO refused");
  }
  if (!options_.auth_user.empty()) {
    std::string plain;
    plain += '\0';
    plain += options_.auth_user;
    plain += '\0';
    plain += options_.auth_password;
    std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                  reinterpret_cast<const unsigned char*>(plain.data()),
                                  static_cast<int>(plain.size()));
    encoded.resize(static_cast<std::size_t>(n));
    co_await connection.write("AUTH PLAIN " + encoded + "\r\n");
    if ((co_await expect(connection, 235, "AUTH")).code != 235) throw std::runtime_error("AUTH refused");
  }
}

asio::awaitable<bool> LoadRun::transaction(ClientConnection& connection, uint64_t seq) {
  const std::string mail = "MAIL FROM:<" + options_.from + ">\r\n";
  const std::string rcpt = "RCPT TO:<" + recipient(seq) + ">\r\n";
  SmtpReply mail_reply, rcpt_reply, data_reply;
  if (options_.pipelining) {
    co_await connection.write(mail + rcpt + "DATA\r\n");
    mail_reply = co_await expect(connection, 250, "MAIL");
    rcpt_reply = co_await expect(connection, 250, "RCPT");
    data_reply = co_await expect(connection, 354, "DATA");
  } else {
    co_await connection.write(mail);
    mail_reply = co_await expect(connection, 250, "MAIL");
    if (mail_reply.code == 250) {
      co_await connection.write(rcpt);
      rcpt_reply = co_await expect(connection, 250, "RCPT");
      if (rcpt_reply.code == 250) {
        co_await connection.write("DATA\r\n");
        data_reply = co_await expect(connection, 354, "DATA");
      }
    }
  }
  for (const auto* reply : {&mail_reply, &rcpt_reply, &data_reply}) {
    if (reply->code == 421) co_return false;
  }
  if (data_reply.code != 354) {
    ++failed_;
    co_await connection.write("RSET\r\n");
    co_return (co_await connection.read_reply()).code == 250;
  }
  const std::string header = message_header(seq);
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(header), asio::buffer(body_)};
  co_await connection.write_buffers(buffers);
  dot_sent_[seq] = Clock::now();
  const SmtpReply reply = co_await expect(connection, 250, "end of DATA");
  if (reply.code == 250) {
    accepted_at_[seq] = Clock::now();
    ++accepted_;
  } else {
    ++failed_;
  }
  co_return reply.code != 421;
}

asio::awaitable<void> LoadRun::wait_for_turn(uint64_t seq) {
  if (options_.rate <= 0) co_return;
  const auto due = started_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(static_cast<double>(seq) / options_.rate));
  if (due <= Clock::now()) co_return;  // behind schedule: send now
  asio::steady_timer timer(io_, due);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<void> LoadRun::session(uint32_t index) {
  const auto source = source_address(options_.source_base, index % options_.sources);
  int consecutive_failures = 0;
  while (next_seq_ < options_.messages && consecutive_failures < 3) {
    ClientConnection connection(io_, tls_);
    connection.set_reply_timeout(std::chrono::milliseconds(static_cast<int64_t>(options_.reply_timeout_s * 1000)));
    uint64_t seq = options_.messages;  // the message in flight, if any
    try {
      co_await open_session(connection, source);
      consecutive_failures = 0;
      bool usable = true;
      while (usable && next_seq_ < options_.messages) {
        seq = next_seq_++;
        co_await wait_for_turn(seq);
        usable = co_await transaction(connection, seq);
        seq = options_.messages;
      }
      if (usable) {
        co_await connection.write("QUIT\r\n");
        co_await connection.read_reply();
        break;
      }
      ++reconnects_;
    } catch (const std::exception& error) {
      if (seq < options_.messages) ++failed_;
      ++consecutive_failures;
      ++reconnects_;
      note_failure("session " + std::to_string(index) + " from " + source.to_string() + ": " + error.what());
    }
  }
  session_finished();
}

void LoadRun::session_finished() {
  if (--active_sessions_ > 0) return;
  sending_done_ = Clock::now();
  // Sessions that gave up leave messages unsent: they count as failed.
  if (next_seq_ < options_.messages) failed_ += options_.messages - next_seq_;
  if (!watch_.active() || delivered_ >= accepted_) {
    finish();
    return;
  }
  wait_timer_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(options_.wait_s * 1000)));
  wait_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    watch_.rescan();  // anything an inotify overflow hid
    finish();
  });
}

void LoadRun::on_delivered(uint64_t seq, Clock::time_point at) {
  if (seq >= on_disk_.size() || on_disk_[seq] != Clock::time_point{}) return;
  on_disk_[seq] = at;
  ++delivered_;
  if (active_sessions_ == 0 && delivered_ >= accepted_) finish();
}

void LoadRun::finish() {
  if (finished_) return;
  finished_ = true;
  io_.stop();
}

int LoadRun::report() const {
  std::vector<double> data_ms, delivery_ms;
  Clock::time_point last_accepted = started_, last_on_disk = started_;
  for (uint64_t seq = 0; seq < options_.messages; ++seq) {
    if (accepted_at_[seq] != Clock::time_point{}) {
      data_ms.push_back(ms_between(dot_sent_[seq], accepted_at_[seq]));
      last_accepted = std::max(last_accepted, accepted_at_[seq]);
      if (on_disk_[seq] != Clock::time_point{}) {
        // Postfix may deliver before we have read its 250: that is 0, not negative.
        delivery_ms.push_back(std::max(0.0, ms_between(accepted_at_[seq], on_disk_[seq])));
      }
    }
    if (on_disk_[seq] != Clock::time_point{}) last_on_disk = std::max(last_on_disk, on_disk_[seq]);
  }
  const LatencySummary data = summarize(data_ms);
  const LatencySummary delivery = summarize(delivery_ms);
  const double accept_s = seconds_between(started_, last_accepted);
  const bool watching = watch_.active();
  const double done_s = watching ? seconds_between(started_, last_on_disk) : accept_s;
  const uint64_t done = watching ? delivered_ : accepted_;
  const uint64_t missing = watching && accepted_ > delivered_ ? accepted_ - delivered_ : 0;
  auto rate = [](uint64_t count, double seconds) { return seconds > 0 ? static_cast<double>(count) / seconds : 0.0; };

  std::fprintf(stderr,
               "loadgen: %llu of %llu messages accepted (%llu failed) in %.2fs = %.1f msg/s; "
               "DATA end->250 p50 %.2f ms p99 %.2f ms max %.2f ms\n",
               static_cast<unsigned long long>(accepted_), static_cast<unsigned long long>(options_.messages),
               static_cast<unsigned long long>(failed_), accept_s, rate(accepted_, accept_s), data.p50_ms,
               data.p99_ms, data.max_ms);
  if (watching) {
    std::fprintf(stderr,
                 "loadgen: %llu on disk (%llu missing), last at %.2fs = %.1f msg/s; "
                 "250->on disk p50 %.2f ms p99 %.2f ms max %.2f ms\n",
                 static_cast<unsigned long long>(delivered_), static_cast<unsigned long long>(missing), done_s,
                 rate(delivered_, done_s), delivery.p50_ms, delivery.p99_ms, delivery.max_ms);
  }
  std::printf(
      "summary label=%s mode=%s pipelining=%d sessions=%u rate=%.1f sources=%u size=%llu messages=%llu accepted=%llu "
      "failed=%llu reconnects=%llu accept_s=%.3f accept_rate=%.1f data_p50_ms=%.2f data_p99_ms=%.2f "
      "data_max_ms=%.2f watched=%d delivered=%llu missing=%llu done_s=%.3f throughput=%.1f "
      "delivery_p50_ms=%.2f delivery_p99_ms=%.2f delivery_max_ms=%.2f loadgen_cpu_s=%.2f\n",
      options_.label.empty() ? "-" : options_.label.c_str(),
      options_.security == Security::plain ? "plain"
      : options_.security == Security::starttls ? "starttls" : "implicit-tls",
      options_.pipelining ? 1 : 0, options_.sessions, options_.rate, options_.sources,
      static_cast<unsigned long long>(options_.size), static_cast<unsigned long long>(options_.messages),
      static_cast<unsigned long long>(accepted_), static_cast<unsigned long long>(failed_),
      static_cast<unsigned long long>(reconnects_), accept_s, rate(accepted_, accept_s), data.p50_ms, data.p99_ms,
      data.max_ms, watching ? 1 : 0, static_cast<unsigned long long>(done), static_cast<unsigned long long>(missing),
      done_s, rate(done, done_s), delivery.p50_ms, delivery.p99_ms, delivery.max_ms, cpu_seconds_self());
  std::fflush(stdout);
  return failed_ == 0 && missing == 0 ? 0 : 1;
}

}  // namespace mailpipe::bench
