#pragma once
// One SMTP server session (RFC 5321), as one coroutine that reads like the
// dialogue: greet, then read a command, dispatch it to the handler of its
// verb, send the handler's reply. A watchdog awaited alongside enforces the
// idle and whole-session deadlines (RFC 5321 4.5.3.2).
//
// Security stance: every byte here comes from an untrusted peer. Lines are
// bounded (LineReader), the message is bounded (DataReader), errors and AUTH
// failures are counted and end the session, plaintext pipelined behind
// STARTTLS is dropped (CVE-2011-0411), only CRLF.CRLF ends DATA
// (CVE-2023-51764), and no password or AUTH blob is ever logged.
#include <array>
#include <asio.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include "common/smtp/client_limits.hpp"
#include "common/smtp/command.hpp"
#include "common/smtp/connection.hpp"
#include "common/smtp/line_reader.hpp"
#include "common/smtp/policy.hpp"
#include "common/smtp/reply.hpp"
#include "common/smtp/smtp_metrics.hpp"
#include "config.pb.h"

namespace mailpipe::smtp {

struct SessionSettings {
  std::string hostname;      // in the banner, EHLO and Received
  v1::SmtpLimits limits;
  bool implicit_tls = false; // RFC 8314: handshake before the greeting
  SmtpMetrics* metrics = nullptr;  // counts for Prometheus, if any
};

class Session final {
 public:
  // `clients` (may be null) keeps AUTH failures per client address.
  Session(Connection connection, const SessionSettings& settings, Policy& policy, MessageSink& sink,
          ClientLimits* clients = nullptr);

  // Runs the whole session and closes the connection.
  asio::awaitable<void> run();

  // Graceful shutdown: ends the session with 421 4.3.2 at the next quiet
  // point, at once when it waits for a command outside a mail transaction,
  // else once the transaction in progress is done (its DATA received and
  // answered), so a message being sent is not cut off. The caller bounds
  // the wait.
  void request_stop();

  // Before run(): greet with this refusal (421) and close, after the TLS
  // handshake on an implicit-TLS port so the client can read it.
  void refuse(Reply reply) { refusal_ = std::move(reply); }

 private:
  // What a handler asks the dialogue loop to do after its reply.
  enum class Next { proceed, close, start_tls, read_data };
  struct Outcome {
    Reply reply;
    Next next = Next::proceed;
  };

  asio::awaitable<void> dialogue();
  asio::awaitable<void> watchdog();
  bool may_stop_now() const { return stop_requested_ && !transaction_; }

  // I/O. read_line returns nullopt when the client is gone.
  asio::awaitable<std::optional<LineReader::Result>> read_line();
  asio::awaitable<bool> read_more();
  void queue_reply(const Reply& reply);
  asio::awaitable<bool> flush();

  Outcome dispatch(const Command& command);
  Outcome on_helo(const Command& command, bool extended);
  Outcome on_mail(const Command& command);
  Outcome on_rcpt(const Command& command);
  Outcome on_data(const Command& command);
  Outcome on_rset();
  Outcome on_starttls(const Command& command);
  Outcome on_auth_command(const Command& command);
  std::string ehlo_keywords() const;

  asio::awaitable<Reply> receive_data();
  asio::awaitable<bool> start_tls();
  // AUTH exchange (session_auth.cpp). Returns false when the session must end.
  asio::awaitable<bool> authenticate(std::string mechanism_and_response);
  asio::awaitable<std::optional<std::variant<std::string, Reply>>> read_auth_response(std::string_view challenge);
  asio::awaitable<bool> finish_auth(std::string user, std::string password);

  static asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration duration);
  void reset_transaction();
  bool count_error(const Reply& reply);

  Connection connection_;
  const SessionSettings& settings_;
  Policy& policy_;
  MessageSink& sink_;
  ClientLimits* clients_;
  std::optional<Reply> refusal_;
  LineReader reader_;
  std::string out_;
  std::array<char, 16 * 1024> read_buffer_;
  SessionInfo info_;
  std::optional<Transaction> transaction_;
  unsigned errors_ = 0;
  unsigned auth_failures_ = 0;
  bool closing_ = false;
  bool stop_requested_ = false;
  bool waiting_for_command_ = false;  // blocked reading the client's next line
  asio::steady_timer* watchdog_timer_ = nullptr;
  std::chrono::steady_clock::time_point idle_deadline_;
  std::chrono::steady_clock::time_point session_deadline_;
};

}  // namespace mailpipe::smtp
