#include "mta/smtp_client.hpp"

#include "common/log/log.hpp"
#include "common/smtp/address.hpp"
#include "common/smtp/client/commands.hpp"
#include "common/smtp/client/dialogue.hpp"
#include "common/smtp/client/outcome.hpp"
#include "common/smtp/client/stream_channel.hpp"

namespace mailpipe::mta {
namespace {

using std::chrono::milliseconds;

smtp::client::MailParameters mail_parameters(const OutboundMessage& message, const smtp::client::ServerExtensions& ext) {
  const v1::Envelope& envelope = message.envelope;
  smtp::client::MailParameters parameters;
  if (ext.size) parameters.size = message.message->size();
  parameters.eightbit = ext.eightbit && envelope.body_type() == v1::BODY_8BITMIME;
  parameters.smtputf8 = ext.smtputf8 && envelope.smtputf8();
  // RFC 3461 4.3 / 4.4: pass the sender's DSN wishes on to a DSN-aware relay.
  if (ext.dsn) {
    parameters.ret_full = envelope.dsn_ret_full();
    parameters.envid = envelope.dsn_envid();
  }
  return parameters;
}

smtp::client::RcptParameters rcpt_parameters(const OutboundMessage& message, const std::string& rcpt,
                                     const smtp::client::ServerExtensions& ext) {
  smtp::client::RcptParameters parameters;
  if (!ext.dsn) return parameters;
  for (const auto& recipient : message.envelope.recipients()) {
    if (recipient.address() != rcpt) continue;
    // RFC 3461 4.1 / 4.2: NOTIFY and ORCPT as the sender gave them.
    parameters.notify = recipient.notify();
    parameters.orcpt = recipient.orcpt();
    break;
  }
  return parameters;
}

std::string describe(const smtp::Reply& reply) { return std::to_string(reply.code) + " " + reply.text; }

}  // namespace

SmtpClient::SmtpClient(asio::io_context& io, const v1::OutboundConfig& config, std::string helo_name,
                       asio::ssl::context& verify_context, asio::ssl::context& opportunistic_context)
    : io_(io),
      config_(config),
      helo_name_(std::move(helo_name)),
      verify_context_(verify_context),
      opportunistic_context_(opportunistic_context) {
  set_own_names({});
}

void SmtpClient::set_own_names(std::vector<std::string> names) {
  names.push_back(helo_name_);
  own_names_.clear();
  for (const std::string& name : names) {
    if (!name.empty()) own_names_.push_back(smtp::lowercase_ascii(name));
  }
}

bool SmtpClient::is_own_name(const std::string& name) const {
  const std::string lower = smtp::lowercase_ascii(name);
  for (const std::string& own : own_names_) {
    if (lower == own) return true;
  }
  return false;
}

struct SmtpClient::Session {
  explicit Session(asio::any_io_executor executor) : channel(std::move(executor)) {}
  smtp::client::StreamChannel channel;
  smtp::client::ServerExtensions ext;
  std::string mx_name;
  bool reused = false;
};

struct SmtpClient::TransactionOutcome {
  HostAttempt attempt;
  bool reusable = false;  // the connection is in a clean state for another MAIL
  bool stale = false;     // a cached connection had died (or had stray input) before MAIL: use a fresh one
};

SmtpClient::~SmtpClient() = default;

asio::awaitable<HostAttempt> SmtpClient::deliver(asio::ip::tcp::endpoint endpoint, std::string mx_name,
                                                 v1::TlsPolicy tls, const OutboundMessage& message) {
  const std::string key = endpoint.address().to_string() + "|" + std::to_string(endpoint.port()) + "|" + mx_name +
                          "|" + std::to_string(static_cast<int>(tls));
  while (std::unique_ptr<Session> session = take_parked(key)) {
    session->reused = true;
    session->channel.set_session_deadline(message.deadline);
    TransactionOutcome outcome = co_await transaction(*session, message);
    if (outcome.stale) {
      // Not a delivery attempt: nothing reached the server. Input that
      // waited in an idle connection is the server's fault and worth a
      // line; a server that closed an idle connection is normal.
      const bool stray = session->channel.error().kind == smtp::client::ChannelFailure::protocol;
      (stray ? log::warning("smtp_protocol_error") : log::debug("connection_stale"))
          .kv("queue_id", message.queue_id).kv("relay", mx_name).kv("step", "cached connection")
          .kv("error", session->channel.error().text).kv("action", "closed, message sent on a new connection");
      continue;
    }
    log::debug("connection_reused").kv("queue_id", message.queue_id).kv("relay", mx_name);
    if (outcome.reusable) {
      park(key, std::move(session));
    } else {
      co_await quit(std::move(session));
    }
    co_return outcome.attempt;
  }

  HostAttempt failed;
  std::unique_ptr<Session> session = co_await open_session(endpoint, mx_name, tls, message.deadline, failed);
  if (!session) co_return failed;
  TransactionOutcome outcome = co_await transaction(*session, message);
  if (outcome.reusable) {
    park(key, std::move(session));
  } else {
    co_await quit(std::move(session));
  }
  co_return outcome.attempt;
}

asio::awaitable<std::unique_ptr<SmtpClient::Session>> SmtpClient::open_session(asio::ip::tcp::endpoint endpoint,
                                                                               const std::string& mx_name,
                                                                               v1::TlsPolicy tls,
                                                                               const std::chrono::steady_clock::time_point& deadline,
                                                                               HostAttempt& failed) {
  auto session = std::make_unique<Session>(io_.get_executor());
  session->channel.set_session_deadline(deadline);
  session->mx_name = mx_name;
  smtp::client::StreamChannel& channel = session->channel;
  failed.try_next_host = true;
  auto give_up = [&](std::string why) -> std::unique_ptr<Session> {
    failed.error = std::move(why);
    return nullptr;
  };
  const bool connected = co_await channel.connect(endpoint, milliseconds(config_.connect_timeout_ms()));
  if (!connected) co_return give_up("connect to " + endpoint.address().to_string() + ": " + channel.error().text);

  const smtp::client::OpenRequest request{helo_name_, false, {milliseconds(config_.command_timeout_ms()), {}}};
  const smtp::client::Opened opened = co_await smtp::client::open_session(channel, request);
  // RFC 5321 5.1: a host that does not greet with 220 is skipped.
  if (opened.refusal) co_return give_up("refused the session: " + describe(*opened.refusal));
  if (!opened.extensions) co_return give_up(channel.error().text);
  if (is_own_name(opened.greeting_name) || is_own_name(opened.extensions->server_name)) {
    failed.try_next_host = false;
    failed.loops_back = true;
    const std::string& name = is_own_name(opened.greeting_name) ? opened.greeting_name : opened.extensions->server_name;
    co_return give_up(mx_name + " greets as " + name + ", which is this MTA");
  }
  session->ext = *opened.extensions;

  const bool tls_required = tls == v1::TLS_ENCRYPT || tls == v1::TLS_VERIFY;
  if (tls != v1::TLS_NONE && session->ext.starttls) {
    const bool verify = tls == v1::TLS_VERIFY;
    const smtp::client::Opened secured = co_await smtp::client::upgrade_to_tls(
        channel, request, verify ? verify_context_ : opportunistic_context_, mx_name, verify);
    if (secured.refusal && (tls_required || channel.tls_active())) {
      // STARTTLS refused under a policy that needs TLS, or EHLO refused
      // over the new TLS session: either way no transaction here.
      co_return give_up(std::string(channel.tls_active() ? "EHLO after STARTTLS refused: " : "STARTTLS refused: ") +
                        describe(*secured.refusal));
    }
    // Never fall back to plaintext on this connection once the handshake
    // began (the server expects TLS now); the next host or attempt may do better.
    if (!secured.extensions && !secured.refusal) co_return give_up(channel.error().text);
    if (secured.extensions) session->ext = *secured.extensions;
  }
  if (tls_required && !channel.tls_active()) {
    co_return give_up("TLS required by policy but " + mx_name + " does not offer STARTTLS");
  }
  co_return session;
}

asio::awaitable<SmtpClient::TransactionOutcome> SmtpClient::transaction(Session& session,
                                                                        const OutboundMessage& message) {
  smtp::client::StreamChannel& channel = session.channel;
  const smtp::client::ServerExtensions& ext = session.ext;
  const std::string& mx_name = session.mx_name;
  TransactionOutcome outcome;
  HostAttempt& attempt = outcome.attempt;
  attempt.tls = channel.tls_active();
  auto all = [&](const smtp::Reply& reply) {
    for (const auto& rcpt : message.recipients) {
      attempt.results[rcpt] = smtp::client::recipient_result(rcpt, reply);
      attempt.results[rcpt].set_remote_mta(mx_name);
    }
    return outcome;
  };

  // RFC 1870: do not send what the server said it will not take.
  if (ext.size && message.message->size() > ext.size) {
    outcome.reusable = true;
    co_return all(smtp::Reply{552, "5.3.4", "Message too big for " + mx_name + " (SIZE " + std::to_string(ext.size) + ")"});
  }
  // RFC 6531 3.7.5: an SMTPUTF8 message cannot go to a server without it.
  if (message.envelope.smtputf8() && !ext.smtputf8) {
    outcome.reusable = true;
    co_return all(smtp::Reply{553, "5.6.7", mx_name + " does not support SMTPUTF8"});
  }

  smtp::client::Transaction t;
  const std::optional<std::string> mail = smtp::client::mail_from_command(message.envelope.mail_from(), mail_parameters(message, ext));
  if (!mail) co_return all(smtp::Reply{553, "5.1.7", "Sender address cannot be sent in an SMTP command"});
  t.mail_command = *mail;
  for (const auto& rcpt : message.recipients) {
    const std::optional<std::string> line = smtp::client::rcpt_to_command(rcpt, rcpt_parameters(message, rcpt, ext));
    if (!line) co_return all(smtp::Reply{553, "5.1.3", "Recipient address cannot be sent in an SMTP command"});
    t.rcpt_commands.push_back(*line);
  }
  t.message = message.message;
  t.pipelining = ext.pipelining;
  t.timeouts = {milliseconds(config_.command_timeout_ms()), milliseconds(config_.data_timeout_ms())};

  const smtp::client::TransactionResult result = co_await smtp::client::run_transaction(channel, t);
  // A cached connection the server has closed (or left a stray reply in)
  // fails before MAIL got an answer: not this message's fault, so the
  // caller opens a fresh one.
  if (session.reused && result.broken && !result.mail) {
    outcome.stale = true;
    co_return outcome;
  }
  if (result.broken) {
    log::warning("smtp_protocol_error").kv("queue_id", message.queue_id).kv("relay", mx_name)
        .kv("step", smtp::client::step_name(result.broken_at.value_or(smtp::client::Step::mail)))
        .kv("error", channel.error().text);
  }
  for (std::size_t i = 0; i < message.recipients.size(); ++i) {
    const std::string& rcpt = message.recipients[i];
    const std::optional<smtp::Reply> reply = result.decisive(i);
    attempt.results[rcpt] = reply ? smtp::client::recipient_result(rcpt, *reply)
                                  : smtp::client::no_answer(rcpt, mx_name + ": " + channel.error().text);
    attempt.results[rcpt].set_remote_mta(mx_name);
    attempt.results[rcpt].set_dsn_passed_on(ext.dsn);
  }
  log::debug("smtp_transaction").kv("queue_id", message.queue_id).kv("relay", mx_name)
      .kv("tls", channel.tls_description()).kv("reusable", result.reusable);
  outcome.reusable = result.reusable;
  co_return outcome;
}

void SmtpClient::park(const std::string& key, std::unique_ptr<Session> session) {
  if (config_.connection_cache_ms() == 0) {
    asio::co_spawn(io_, quit(std::move(session)), asio::detached);
    return;
  }
  Session* raw = session.get();
  parked_.emplace(key, std::move(session));
  asio::co_spawn(io_, expire_parked(key, raw), asio::detached);
}

std::unique_ptr<SmtpClient::Session> SmtpClient::take_parked(const std::string& key) {
  const auto it = parked_.find(key);
  if (it == parked_.end()) return nullptr;
  std::unique_ptr<Session> session = std::move(it->second);
  parked_.erase(it);
  return session;
}

asio::awaitable<void> SmtpClient::expire_parked(std::string key, Session* session) {
  asio::steady_timer timer(io_, milliseconds(config_.connection_cache_ms()));
  asio::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  auto [begin, end] = parked_.equal_range(key);
  for (auto it = begin; it != end; ++it) {
    if (it->second.get() == session) {  // still idle: close it politely
      std::unique_ptr<Session> expired = std::move(it->second);
      parked_.erase(it);
      co_await quit(std::move(expired));
      co_return;
    }
  }
}

asio::awaitable<void> SmtpClient::quit(std::unique_ptr<Session> session) {
  // QUIT is a courtesy: a short bound, and no answer needed.
  co_await smtp::client::say_quit(session->channel, milliseconds(std::min<uint32_t>(config_.command_timeout_ms(), 5000)));
  session->channel.close();
}

}  // namespace mailpipe::mta
