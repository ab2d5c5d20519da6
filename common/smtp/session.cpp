#include "common/smtp/session.hpp"

#include <asio/experimental/awaitable_operators.hpp>

#include "common/log.hpp"
#include "common/process.hpp"
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

Session::Session(Connection connection, const SessionSettings& settings, Policy& policy, MessageSink& sink,
                 ClientLimits* clients)
    : connection_(std::move(connection)),
      settings_(settings),
      policy_(policy),
      sink_(sink),
      clients_(clients),
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
    switch (line->status) {
      case LineReader::Status::complete: {
        const bool smtputf8 = transaction_ && transaction_->parameters.smtputf8;
        auto parsed = parse_command(line->line, smtputf8);
        if (auto* error = std::get_if<CommandError>(&parsed)) {
          outcome.reply = error->reply;
          break;
        }
        const Command& command = std::get<Command>(parsed);
        if (command.verb == Verb::auth) {
          outcome = on_auth_command(command);
          if (outcome.reply.code == 0) {  // checks passed: run the exchange
            if (!co_await authenticate(command.argument)) {
              co_await flush();  // the 421 that ends the session
              co_return;
            }
            continue;
          }
          break;
        }
        outcome = dispatch(command);
        break;
      }
      case LineReader::Status::too_long: outcome.reply = replies::line_too_long(); break;
      case LineReader::Status::bare_newline: outcome.reply = replies::bare_newline_in_command(); break;
      case LineReader::Status::nul: outcome.reply = replies::nul_in_command(); break;
      case LineReader::Status::incomplete: co_return;  // read_line never returns it
    }

    queue_reply(outcome.reply);
    if (transaction_ && outcome.reply.code >= 400) ++transaction_->failed_commands;
    if (count_error(outcome.reply)) {
      log::info("too_many_errors").kv("client", info_.client_address).kv("errors", errors_);
      queue_reply(replies::too_many_errors());
      co_await flush();
      co_return;
    }
    switch (outcome.next) {
      case Next::proceed: break;
      case Next::close: co_await flush(); co_return;
      case Next::start_tls:
        if (!co_await start_tls()) co_return;
        break;
      case Next::read_data: {
        if (!co_await flush()) co_return;
        const Reply result = co_await receive_data();
        if (result.code == 0) co_return;  // client gone mid-DATA
        queue_reply(result);
        if (count_error(result)) {
          queue_reply(replies::too_many_errors());
          co_await flush();
          co_return;
        }
        break;
      }
    }
  }
  co_await flush();  // a 421 queued by a handler (too many AUTH failures)
}

Session::Outcome Session::dispatch(const Command& command) {
  switch (command.verb) {
    case Verb::helo: return on_helo(command, false);
    case Verb::ehlo: return on_helo(command, true);
    case Verb::mail: return on_mail(command);
    case Verb::rcpt: return on_rcpt(command);
    case Verb::data: return on_data(command);
    case Verb::rset: return on_rset();
    case Verb::noop: return {replies::ok()};
    case Verb::quit: return {replies::closing(settings_.hostname), Next::close};
    case Verb::vrfy: return {replies::vrfy_cannot()};
    case Verb::help: return {replies::help()};
    case Verb::starttls: return on_starttls(command);
    case Verb::auth: return on_auth_command(command);
    case Verb::expn:
    case Verb::bdat: return {replies::not_implemented()};
  }
  return {replies::command_unrecognized()};
}

std::string Session::ehlo_keywords() const {
  std::string keywords = "PIPELINING\nSIZE " + std::to_string(settings_.limits.max_message_bytes()) +
                         "\n8BITMIME\nENHANCEDSTATUSCODES\nSMTPUTF8\nDSN";
  if (connection_.tls_available() && !connection_.tls_active()) keywords += "\nSTARTTLS";
  // RFC 4954 4 and 14: never offer plaintext passwords over a clear channel.
  if (policy_.offers_auth() && connection_.tls_active()) keywords += "\nAUTH PLAIN LOGIN";
  return keywords;
}

Session::Outcome Session::on_helo(const Command& command, bool extended) {
  // RFC 5321 4.1.4: HELO/EHLO in a session resets like RSET.
  reset_transaction();
  info_.helo = command.argument;
  info_.esmtp = extended;
  Reply reply = replies::helo_ok(settings_.hostname);
  if (extended) reply.text += "\n" + ehlo_keywords();
  return {reply};
}

Session::Outcome Session::on_mail(const Command& command) {
  if (info_.helo.empty()) return {replies::bad_sequence("Send HELO/EHLO first")};
  if (transaction_) return {replies::bad_sequence("Nested MAIL command")};
  const MailParameters& parameters = command.mail;
  if (!info_.esmtp && (parameters.smtputf8 || parameters.body != v1::BODY_7BIT || parameters.size)) {
    return {replies::parameter_unrecognized("ESMTP parameters need EHLO")};
  }
  if (parameters.size && *parameters.size > settings_.limits.max_message_bytes()) {
    return {replies::message_too_big()};  // RFC 1870 6.1
  }
  if (auto refusal = policy_.check_sender(info_, command.path)) {
    log::info("sender_refused").kv("client", info_.client_address).kv("from", command.path.str())
        .kv("user", info_.authenticated_user).kv("dsn", refusal->enhanced);
    return {*refusal};
  }
  transaction_ = Transaction{new_queue_id(), command.path, parameters, {}, unix_ms_now()};
  return {replies::sender_ok()};
}

Session::Outcome Session::on_rcpt(const Command& command) {
  if (!transaction_) return {replies::bad_sequence("Need MAIL command")};
  if (transaction_->recipients.size() >= settings_.limits.max_recipients()) {
    return {replies::too_many_recipients()};  // RFC 5321 4.5.3.1.10
  }
  if (auto refusal = policy_.check_recipient(info_, command.path)) {
    log::info("recipient_refused").kv("queue_id", transaction_->queue_id).kv("from", transaction_->from.str())
        .kv("to", command.path.str()).kv("client", info_.client_address).kv("code", refusal->code)
        .kv("dsn", refusal->enhanced).kv("reason", refusal->text);
    return {*refusal};
  }
  transaction_->recipients.push_back({command.path, command.rcpt});
  return {replies::recipient_ok()};
}

Session::Outcome Session::on_data(const Command& command) {
  if (!transaction_) return {replies::bad_sequence("Need MAIL command")};
  // RFC 2920 3.1: after pipelined RCPTs that all failed, DATA gets 554;
  // with no RCPT at all it is out of sequence (Postfix: 503).
  if (transaction_->recipients.empty()) {
    if (transaction_->failed_commands == 0) return {replies::bad_sequence("Need RCPT command")};
    return {replies::no_valid_recipients()};
  }
  return {replies::start_data(), Next::read_data};
}

Session::Outcome Session::on_rset() {
  reset_transaction();
  return {replies::ok()};
}

Session::Outcome Session::on_starttls(const Command& command) {
  if (connection_.tls_active()) return {replies::tls_already_active()};
  // As Postfix: a transaction begun in plaintext is not carried into TLS.
  if (transaction_) return {replies::bad_sequence("STARTTLS not permitted during a mail transaction")};
  if (!connection_.tls_available()) return {replies::tls_not_available()};
  return {replies::ready_for_tls(), Next::start_tls};
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

asio::awaitable<Reply> Session::receive_data() {
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
      co_return Reply{};
    }
    idle_deadline_ = Clock::now() + std::chrono::milliseconds(settings_.limits.idle_timeout_ms());
    const std::string_view chunk(buffer.data(), n);
    used = data.feed(chunk);
    if (data.finished()) reader_.append(chunk.substr(used));
  }

  Transaction transaction = std::move(*transaction_);
  transaction_.reset();
  Reply refusal;
  switch (data.status()) {
    case DataReader::Status::ok: break;
    case DataReader::Status::too_big: refusal = replies::message_too_big(); break;
    case DataReader::Status::line_too_long: refusal = replies::text_line_too_long(); break;
    case DataReader::Status::bare_newline: refusal = replies::bare_newline_in_data(); break;
    case DataReader::Status::nul: refusal = replies::nul_in_data(); break;
  }
  if (refusal.code != 0) {
    log::info("rejected").kv("queue_id", transaction.queue_id).kv("from", transaction.from.str())
        .kv("client", info_.client_address).kv("code", refusal.code).kv("dsn", refusal.enhanced)
        .kv("reason", refusal.text);
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
