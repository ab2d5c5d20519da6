// The command table of a Session: one row per verb (RFC 5321 4.1.1, RFC
// 3207, RFC 4954), each with a check of the session's state and the
// command's syntax, and the action that follows, where the policy is asked
// (who may send, who may receive). The dialogue loop in session.cpp only
// looks the verb up and does what the row's Outcome asks next.
#include "common/log/log.hpp"
#include "common/mail/queue_id.hpp"
#include "common/os/process.hpp"
#include "common/smtp/replies.hpp"
#include "common/smtp/session.hpp"

namespace mailpipe::smtp {

const Session::CommandRow* Session::find_row(Verb verb) {
  static constexpr CommandRow table[] = {
      {Verb::helo, nullptr, &Session::on_helo},
      {Verb::ehlo, nullptr, &Session::on_ehlo},
      {Verb::mail, &Session::check_mail, &Session::on_mail},
      {Verb::rcpt, &Session::check_rcpt, &Session::on_rcpt},
      {Verb::data, &Session::check_data, &Session::on_data},
      {Verb::rset, nullptr, &Session::on_rset},
      {Verb::noop, nullptr, &Session::on_noop},
      {Verb::quit, nullptr, &Session::on_quit},
      {Verb::vrfy, nullptr, &Session::on_vrfy},
      {Verb::help, nullptr, &Session::on_help},
      {Verb::starttls, &Session::check_starttls, &Session::on_starttls},
      {Verb::auth, &Session::check_auth, &Session::on_auth},
      {Verb::expn, nullptr, &Session::on_not_implemented},
      {Verb::bdat, nullptr, &Session::on_not_implemented},
  };
  for (const CommandRow& row : table) {
    if (row.verb == verb) return &row;
  }
  return nullptr;
}

Session::Outcome Session::run_command(const Command& command) {
  const CommandRow* row = find_row(command.verb);
  if (!row) return {replies::command_unrecognized()};
  if (row->check) {
    if (std::optional<Reply> refusal = (this->*row->check)(command)) return {std::move(*refusal)};
  }
  return (this->*row->proceed)(command);
}

std::string Session::ehlo_keywords() const {
  std::string keywords = "PIPELINING\nSIZE " + std::to_string(settings_.limits.max_message_bytes()) +
                         "\n8BITMIME\nENHANCEDSTATUSCODES\nSMTPUTF8\nDSN";
  if (connection_.tls_available() && !connection_.tls_active()) keywords += "\nSTARTTLS";
  // RFC 4954 4 and 14: never offer plaintext passwords over a clear channel.
  if (policy_.offers_auth() && connection_.tls_active()) keywords += "\nAUTH PLAIN LOGIN";
  return keywords;
}

Session::Outcome Session::hello(const Command& command, bool extended) {
  // RFC 5321 4.1.4: HELO/EHLO in a session resets like RSET.
  reset_transaction();
  info_.helo = command.argument;
  info_.esmtp = extended;
  Reply reply = replies::helo_ok(settings_.hostname);
  if (extended) reply.text += "\n" + ehlo_keywords();
  return {reply};
}

Session::Outcome Session::on_helo(const Command& command) { return hello(command, false); }
Session::Outcome Session::on_ehlo(const Command& command) { return hello(command, true); }

std::optional<Reply> Session::check_mail(const Command& command) const {
  if (info_.helo.empty()) return replies::bad_sequence("Send HELO/EHLO first");
  if (transaction_) return replies::bad_sequence("Nested MAIL command");
  const MailParameters& parameters = command.mail;
  if (!info_.esmtp && (parameters.smtputf8 || parameters.body != v1::BODY_7BIT || parameters.size)) {
    return replies::parameter_unrecognized("ESMTP parameters need EHLO");
  }
  if (parameters.size && *parameters.size > settings_.limits.max_message_bytes()) {
    return replies::message_too_big();  // RFC 1870 6.1
  }
  return std::nullopt;
}

Session::Outcome Session::on_mail(const Command& command) {
  if (auto refusal = policy_.check_sender(info_, command.path)) {
    log::info("sender_refused").kv("client", info_.client_address).kv("from", command.path.str())
        .kv("user", info_.authenticated_user).kv("dsn", refusal->enhanced);
    return {*refusal};
  }
  transaction_ = Transaction{new_queue_id(), command.path, command.mail, {}, unix_ms_now()};
  return {replies::sender_ok()};
}

std::optional<Reply> Session::check_rcpt(const Command&) const {
  if (!transaction_) return replies::bad_sequence("Need MAIL command");
  if (transaction_->recipients.size() >= settings_.limits.max_recipients()) {
    return replies::too_many_recipients();  // RFC 5321 4.5.3.1.10
  }
  return std::nullopt;
}

Session::Outcome Session::on_rcpt(const Command& command) {
  if (auto refusal = policy_.check_recipient(info_, command.path)) {
    log::info("recipient_refused").kv("queue_id", transaction_->queue_id).kv("from", transaction_->from.str())
        .kv("to", command.path.str()).kv("client", info_.client_address).kv("code", refusal->code)
        .kv("dsn", refusal->enhanced).kv("reason", refusal->text);
    return {*refusal};
  }
  transaction_->recipients.push_back({command.path, command.rcpt});
  return {replies::recipient_ok()};
}

std::optional<Reply> Session::check_data(const Command&) const {
  if (!transaction_) return replies::bad_sequence("Need MAIL command");
  // RFC 2920 3.1: after pipelined RCPTs that all failed, DATA gets 554;
  // with no RCPT at all it is out of sequence (Postfix: 503).
  if (transaction_->recipients.empty()) {
    if (transaction_->failed_commands == 0) return replies::bad_sequence("Need RCPT command");
    return replies::no_valid_recipients();
  }
  return std::nullopt;
}

Session::Outcome Session::on_data(const Command&) { return {replies::start_data(), Next::read_data}; }

Session::Outcome Session::on_rset(const Command&) {
  reset_transaction();
  return {replies::ok()};
}

Session::Outcome Session::on_noop(const Command&) { return {replies::ok()}; }
Session::Outcome Session::on_quit(const Command&) { return {replies::closing(settings_.hostname), Next::close}; }
Session::Outcome Session::on_vrfy(const Command&) { return {replies::vrfy_cannot()}; }
Session::Outcome Session::on_help(const Command&) { return {replies::help()}; }
Session::Outcome Session::on_not_implemented(const Command&) { return {replies::not_implemented()}; }

std::optional<Reply> Session::check_starttls(const Command&) const {
  if (connection_.tls_active()) return replies::tls_already_active();
  // As Postfix: a transaction begun in plaintext is not carried into TLS.
  if (transaction_) return replies::bad_sequence("STARTTLS not permitted during a mail transaction");
  if (!connection_.tls_available()) return replies::tls_not_available();
  return std::nullopt;
}

Session::Outcome Session::on_starttls(const Command&) { return {replies::ready_for_tls(), Next::start_tls}; }

std::optional<Reply> Session::check_auth(const Command&) const {
  if (!policy_.offers_auth()) return replies::not_implemented();
  if (!connection_.tls_active()) return replies::tls_required();
  if (info_.helo.empty()) return replies::bad_sequence("Send EHLO first");
  if (!info_.authenticated_user.empty()) return replies::already_authenticated();
  // RFC 4954 4: AUTH is not permitted during a mail transaction.
  if (transaction_) return replies::bad_sequence("AUTH not permitted during a mail transaction");
  return std::nullopt;
}

// The exchange answers for itself (334 challenges, then 235 or 535).
Session::Outcome Session::on_auth(const Command&) { return {std::nullopt, Next::authenticate}; }

}  // namespace mailpipe::smtp
