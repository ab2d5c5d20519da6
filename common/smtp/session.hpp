#pragma once
// One SMTP server session (RFC 5321), as one coroutine that reads like the
// dialogue: greet, then read a command, look its verb up in the command
// table (session_commands.cpp: one row per verb, a check of state and
// syntax, then the action with the policy's question), send the reply and
// do what the row asked next (read DATA, start TLS, run the AUTH exchange,
// close). A watchdog awaited alongside enforces the idle and whole-session
// deadlines (RFC 5321 4.5.3.2).
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
  Session(Connection connection, const SessionSettings& settings, Policy& policy, MessageSink& sink);

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
  // What a command asks the dialogue loop to do after its reply.
  enum class Next { proceed, close, start_tls, read_data, authenticate };
  struct Outcome {
    std::optional<Reply> reply;  // none for AUTH: the exchange answers
    Next next = Next::proceed;
  };
  // One row of the command table (session_commands.cpp), as OpenSMTPD's
  // commands[] and Postfix's smtpd_cmd_table.
  struct CommandRow {
    Verb verb;
    // State and syntax: the refusal, or nullopt to go on.
    std::optional<Reply> (Session::*check)(const Command&) const;
    // The action, with the policy's question where there is one.
    Outcome (Session::*proceed)(const Command&);
  };
  static const CommandRow* find_row(Verb verb);
  friend class SessionAuthIo;

  asio::awaitable<void> dialogue();
  asio::awaitable<void> watchdog();
  bool may_stop_now() const { return stop_requested_ && !transaction_; }
  // Runs what `outcome` asks after its reply; false when the session ends.
  asio::awaitable<bool> follow(const Outcome& outcome, std::string& command_argument);

  // I/O. read_line returns nullopt when the client is gone.
  asio::awaitable<std::optional<LineReader::Result>> read_line();
  asio::awaitable<bool> read_more();
  void queue_reply(const Reply& reply);
  asio::awaitable<bool> flush();

  // The command table's checks and actions (session_commands.cpp).
  Outcome run_command(const Command& command);
  std::optional<Reply> check_mail(const Command& command) const;
  std::optional<Reply> check_rcpt(const Command& command) const;
  std::optional<Reply> check_data(const Command& command) const;
  std::optional<Reply> check_starttls(const Command& command) const;
  std::optional<Reply> check_auth(const Command& command) const;
  Outcome on_helo(const Command& command);
  Outcome on_ehlo(const Command& command);
  Outcome on_mail(const Command& command);
  Outcome on_rcpt(const Command& command);
  Outcome on_data(const Command& command);
  Outcome on_rset(const Command& command);
  Outcome on_noop(const Command& command);
  Outcome on_quit(const Command& command);
  Outcome on_vrfy(const Command& command);
  Outcome on_help(const Command& command);
  Outcome on_starttls(const Command& command);
  Outcome on_auth(const Command& command);
  Outcome on_not_implemented(const Command& command);
  Outcome hello(const Command& command, bool extended);
  std::string ehlo_keywords() const;

  // nullopt: the client went away during DATA.
  asio::awaitable<std::optional<Reply>> receive_data();
  asio::awaitable<bool> start_tls();
  // The AUTH exchange (session_auth.cpp). False when the session must end.
  asio::awaitable<bool> authenticate(std::string mechanism_and_response);

  static asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration duration);
  void reset_transaction();
  bool count_error(const Reply& reply);

  Connection connection_;
  const SessionSettings& settings_;
  Policy& policy_;
  MessageSink& sink_;
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
