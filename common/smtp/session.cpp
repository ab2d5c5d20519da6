#include "common/smtp/session.hpp"

#include <asio/experimental/awaitable_operators.hpp>

#include "common/log/log.hpp"
#include "common/os/process.hpp"
#include "common/mail/queue_id.hpp"
#include "common/smtp/data_reader.hpp"
#include "common/smtp/replies.hpp"

namespace mailpipe::smtp {
namespace {

using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

constexpr std::size_t read_chunk_bytes = 64 * 1024;
// A 421 after a timeout is a courtesy; never wait long for it.
constexpr auto goodbye_write_bound = std::chrono::seconds(5);

}  // namespace

asio::awaitable<void> Session::sleep_for(std::chrono::steady_clock::duration duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  asio::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

Session::Session(Connection connection, const SessionSettings& settings, Policy& policy, MessageSink& sink)
    : connection_(std::move(connection)),
      settings_(settings),
      policy_(policy),
      sink_(sink),
      reader_(settings.limits.max_command_line()) {
  info_.client_address = connection_.peer_address();
}

asio::awaitable<void> Session::run() {
  const auto now = Clock::now();
  idle_deadline_ = now + std::chrono::milliseconds(settings_.limits.idle_timeout_ms());
  session_deadline_ = now + std::chrono::milliseconds(settings_.limits.session_timeout_ms());
  log::debug("connect").kv("client", info_.client_address);
  if (settings_.metrics) settings_.metrics->session_started();

  const auto ended = co_await (dialogue() || watchdog());
  if (ended.index() == 1) {
    out_.clear();
    if (may_stop_now()) {
      queue_reply(replies::shutting_down(settings_.hostname));
    } else {
      log::info("timeout").kv("client", info_.client_address)
          .kv("queue_id", transaction_ ? transaction_->queue_id : "");
      queue_reply(replies::timeout(settings_.hostname));
    }
    co_await (flush() || sleep_for(goodbye_write_bound));
  }
  connection_.close();
  if (settings_.metrics) settings_.metrics->session_ended();
  log::debug("disconnect").kv("client", info_.client_address);
}

void Session::request_stop() {
  stop_requested_ = true;
  if (watchdog_timer_) watchdog_timer_->cancel();  // let it look at the flag
}

asio::awaitable<void> Session::watchdog() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  watchdog_timer_ = &timer;
  struct Forget {
    asio::steady_timer*& timer;
    ~Forget() { timer = nullptr; }
  } forget{watchdog_timer_};
  for (;;) {
    if (waiting_for_command_ && may_stop_now()) co_return;
    const auto deadline = std::min(idle_deadline_, session_deadline_);
    if (Clock::now() >= deadline) co_return;
    timer.expires_at(deadline);
    asio::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> Session::dialogue() {
  if (settings_.implicit_tls) {
    asio::error_code ec;
    co_await connection_.handshake(ec);
    if (ec) {
      log::info("tls_failed").kv("client", info_.client_address).kv("error", ec.message());
      co_return;
    }
    const auto tls = connection_.tls_info();
    info_.tls = true;
    info_.tls_version = tls.version;
    info_.tls_cipher = tls.cipher;
    if (settings_.metrics) settings_.metrics->tls_established(tls.version);
  }
  if (refusal_) {
    queue_reply(*refusal_);
    co_await flush();
    co_return;
  }
  queue_reply(replies::greeting(settings_.hostname));

  while (!closing_) {
    if (may_stop_now() && !reader_.has_complete_line()) {
      queue_reply(replies::shutting_down(settings_.hostname));
      break;
    }
    const auto line = co_await read_line();
    if (!line) co_return;

    Outcome outcome;
    std::string argument;
    switch (line->status) {
      case LineReader::Status::complete: {
        const bool smtputf8 = transaction_ && transaction_->parameters.smtputf8;
        auto parsed = parse_command(line->line, smtputf8);
        if (auto* error = std::get_if<CommandError>(&parsed)) {
          outcome.reply = error->reply;
          break;
        }
        Command& command = std::get<Command>(parsed);
        outcome = run_command(command);
        argument = std::move(command.argument);
        break;
      }
      case LineReader::Status::too_long: outcome.reply = replies::line_too_long(); break;
      case LineReader::Status::bare_newline: outcome.reply = replies::bare_newline_in_command(); break;
      case LineReader::Status::nul: outcome.reply = replies::nul_in_command(); break;
      case LineReader::Status::incomplete: co_return;  // read_line never returns it
    }

    if (outcome.reply) {
      queue_reply(*outcome.reply);
      if (transaction_ && outcome.reply->code >= 400) ++transaction_->failed_commands;
      if (count_error(*outcome.reply)) {
        log::info("too_many_errors").kv("client", info_.client_address).kv("errors", errors_);
        queue_reply(replies::too_many_errors());
        co_await flush();
        co_return;
      }
    }
    const bool go_on = co_await follow(outcome, argument);
    if (!go_on) co_return;
  }
  co_await flush();  // a 421 queued by a command (too many AUTH failures)
}

asio::awaitable<bool> Session::follow(const Outcome& outcome, std::string& command_argument) {
  switch (outcome.next) {
    case Next::proceed: co_return true;
    case Next::close: co_await flush(); co_return false;
    case Next::start_tls: {
      const bool secured = co_await start_tls();
      co_return secured;
    }
    case Next::authenticate: {
      const bool authenticated = co_await authenticate(std::move(command_argument));
      if (!authenticated) co_await flush();  // the 421 that ends the session
      co_return authenticated;
    }
    case Next::read_data: {
      const bool flushed = co_await flush();
      if (!flushed) co_return false;
      const std::optional<Reply> result = co_await receive_data();
      if (!result) co_return false;  // client gone mid-DATA
      queue_reply(*result);
      if (count_error(*result)) {
        queue_reply(replies::too_many_errors());
        co_await flush();
        co_return false;
      }
      co_return true;
    }
  }
  co_return false;
}

asio::awaitable<bool> Session::start_tls() {
  if (!co_await flush()) co_return false;
  // CVE-2011-0411: commands pipelined in plaintext behind STARTTLS must not
  // be executed as if they had come over TLS.
  if (const std::size_t injected = reader_.buffered(); injected > 0) {
    log::warning("starttls_plaintext_discarded").kv("client", info_.client_address).kv("bytes", injected);
  }
  reader_.discard_buffered();
  asio::error_code ec;
  co_await connection_.handshake(ec);
  if (ec) {
    log::info("tls_failed").kv("client", info_.client_address).kv("error", ec.message());
    co_return false;
  }
  // RFC 3207 4.2: forget everything learned before TLS.
  reset_transaction();
  info_.helo.clear();
  info_.esmtp = false;
  info_.authenticated_user.clear();
  const auto tls = connection_.tls_info();
  info_.tls = true;
  info_.tls_version = tls.version;
  info_.tls_cipher = tls.cipher;
  if (settings_.metrics) settings_.metrics->tls_established(tls.version);
  co_return true;
}

asio::awaitable<std::optional<Reply>> Session::receive_data() {
  DataReader data({settings_.limits.max_message_bytes(), settings_.limits.max_text_line()});
  std::string pipelined = reader_.take_buffered();
  std::size_t used = data.feed(pipelined);
  if (data.finished()) {
    reader_.append(std::string_view(pipelined).substr(used));
  }
  std::vector<char> buffer(read_chunk_bytes);
  while (!data.finished()) {
    asio::error_code ec;
    const std::size_t n = co_await connection_.read_some(asio::buffer(buffer), ec);
    if (ec) {
      log::info("lost_during_data").kv("queue_id", transaction_->queue_id).kv("client", info_.client_address)
          .kv("error", ec.message());
      co_return std::nullopt;
    }
    idle_deadline_ = Clock::now() + std::chrono::milliseconds(settings_.limits.idle_timeout_ms());
    const std::string_view chunk(buffer.data(), n);
    used = data.feed(chunk);
    if (data.finished()) reader_.append(chunk.substr(used));
  }

  Transaction transaction = std::move(*transaction_);
  transaction_.reset();
  std::optional<Reply> refusal;
  switch (data.status()) {
    case DataReader::Status::ok: break;
    case DataReader::Status::too_big: refusal = replies::message_too_big(); break;
    case DataReader::Status::line_too_long: refusal = replies::text_line_too_long(); break;
    case DataReader::Status::bare_newline: refusal = replies::bare_newline_in_data(); break;
    case DataReader::Status::nul: refusal = replies::nul_in_data(); break;
  }
  if (refusal) {
    log::info("rejected").kv("queue_id", transaction.queue_id).kv("from", transaction.from.str())
        .kv("client", info_.client_address).kv("code", refusal->code).kv("dsn", refusal->enhanced)
        .kv("reason", refusal->text);
    co_return refusal;
  }
  // The next hop bounds its own answer time (submit_timeout); the idle
  // deadline must not cut it short.
  idle_deadline_ = Clock::time_point::max();
  std::string message = data.take_message();
  const std::size_t bytes = message.size();
  Reply reply = co_await sink_.accept(info_, transaction, std::move(message));
  if (reply.success() && settings_.metrics) settings_.metrics->message_accepted(bytes);
  idle_deadline_ = Clock::now() + std::chrono::milliseconds(settings_.limits.idle_timeout_ms());
  co_return reply;
}

asio::awaitable<std::optional<LineReader::Result>> Session::read_line() {
  for (;;) {
    LineReader::Result result = reader_.next();
    if (result.status != LineReader::Status::incomplete) co_return result;
    // RFC 2920: answer a pipelined batch in one write, when no more of it
    // is waiting.
    if (!co_await flush()) co_return std::nullopt;
    waiting_for_command_ = true;
    const bool more = co_await read_more();
    waiting_for_command_ = false;
    if (!more) co_return std::nullopt;
  }
}

asio::awaitable<bool> Session::read_more() {
  asio::error_code ec;
  const std::size_t n = co_await connection_.read_some(asio::buffer(read_buffer_), ec);
  if (ec) {
    if (ec != asio::error::eof) log::debug("read_failed").kv("client", info_.client_address).kv("error", ec.message());
    co_return false;
  }
  idle_deadline_ = Clock::now() + std::chrono::milliseconds(settings_.limits.idle_timeout_ms());
  reader_.append(std::string_view(read_buffer_.data(), n));
  co_return true;
}

void Session::queue_reply(const Reply& reply) {
  if (reply.code == 421) closing_ = true;
  if (settings_.metrics) settings_.metrics->reply_sent(reply);
  out_ += reply.wire();
}

asio::awaitable<bool> Session::flush() {
  if (out_.empty()) co_return true;
  std::string bytes = std::move(out_);
  out_.clear();
  asio::error_code ec;
  co_await connection_.write_all(bytes, ec);
  co_return !ec;
}

void Session::reset_transaction() { transaction_.reset(); }

bool Session::count_error(const Reply& reply) {
  if (reply.code < 400) return false;
  // Recipients past max_recipients are the client's batch size meeting
  // ours (RFC 5321 4.5.3.1.10: it sends them again later), not an error
  // that should end a session holding good recipients (Postfix's
  // smtpd_recipient_overshoot_limit is separate for the same reason).
  if (reply.code == 452 && reply.enhanced == "4.5.3") return false;
  return ++errors_ >= settings_.limits.max_errors();
}

}  // namespace mailpipe::smtp
