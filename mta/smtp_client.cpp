#include "mta/smtp_client.hpp"

#include <sstream>

#include "common/log.hpp"
#include "common/smtp/client_text.hpp"
#include "mta/smtp_client_connection.hpp"

namespace mailpipe::mta {
namespace {

using Extensions = ServerExtensions;

Extensions parse_ehlo(const smtp::Reply& reply) {
  Extensions ext;
  std::istringstream lines(reply.text);
  std::string line;
  std::getline(lines, line);  // the greeting line names the host
  while (std::getline(lines, line)) {
    std::string keyword = line.substr(0, line.find(' '));
    for (char& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (keyword == "STARTTLS") ext.starttls = true;
    if (keyword == "PIPELINING") ext.pipelining = true;
    if (keyword == "8BITMIME") ext.eightbit = true;
    if (keyword == "SMTPUTF8") ext.smtputf8 = true;
    if (keyword == "DSN") ext.dsn = true;
    if (keyword == "SIZE" && line.size() > 5) ext.size = std::strtoull(line.c_str() + 5, nullptr, 10);
  }
  return ext;
}

v1::RecipientResult result_from(const std::string& address, const smtp::Reply& reply, const std::string& host) {
  v1::RecipientResult result;
  result.set_address(address);
  result.set_outcome(reply.positive() ? v1::DELIVERED : reply.permanent() ? v1::PERMFAIL : v1::TEMPFAIL);
  auto* status = result.mutable_status();
  status->set_code(static_cast<uint32_t>(reply.code));
  std::string enhanced = reply.enhanced;
  if (enhanced.empty()) enhanced = reply.positive() ? "2.0.0" : reply.permanent() ? "5.0.0" : "4.0.0";
  status->set_enhanced(enhanced);
  std::string text;
  for (char c : reply.text) text += (c == '\n' || c == '\r') ? ' ' : c;
  status->set_text(text);
  result.set_remote_mta(host);
  return result;
}

// A reply that never came: transient, so the queue tries again.
smtp::Reply lost(const std::string& why) { return smtp::Reply{451, "4.4.2", why}; }

// RFC 3461 4: xtext, "+" and two uppercase hex digits for anything outside "!".."~", "+" and "=".
std::string encode_xtext(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 33 || byte > 126 || c == '+' || c == '=') {
      out += '+';
      out += hex[byte >> 4];
      out += hex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

std::string mail_command(const OutboundMessage& message, const Extensions& ext) {
  const v1::Envelope& envelope = message.envelope;
  std::string command = "MAIL FROM:<" + envelope.mail_from() + ">";
  if (ext.size) command += " SIZE=" + std::to_string(message.message->size());
  if (ext.eightbit && envelope.body_type() == v1::BODY_8BITMIME) command += " BODY=8BITMIME";
  if (ext.smtputf8 && envelope.smtputf8()) command += " SMTPUTF8";
  // RFC 3461 4.3 / 4.4: pass the sender's DSN wishes on to a DSN-aware relay.
  if (ext.dsn && envelope.dsn_ret_full()) command += " RET=FULL";
  if (ext.dsn && !envelope.dsn_envid().empty()) command += " ENVID=" + encode_xtext(envelope.dsn_envid());
  return command + "\r\n";
}

std::string rcpt_command(const OutboundMessage& message, const std::string& rcpt, const Extensions& ext) {
  std::string command = "RCPT TO:<" + rcpt + ">";
  if (!ext.dsn) return command + "\r\n";
  for (const auto& recipient : message.envelope.recipients()) {
    if (recipient.address() != rcpt) continue;
    // RFC 3461 4.1 / 4.2: NOTIFY and ORCPT as the sender gave them.
    const uint32_t notify = recipient.notify();
    if (notify & v1::NOTIFY_NEVER) {
      command += " NOTIFY=NEVER";
    } else if (notify != 0) {
      std::string list;
      if (notify & v1::NOTIFY_SUCCESS) list += ",SUCCESS";
      if (notify & v1::NOTIFY_FAILURE) list += ",FAILURE";
      if (notify & v1::NOTIFY_DELAY) list += ",DELAY";
      command += " NOTIFY=" + list.substr(1);
    }
    const std::string& orcpt = recipient.orcpt();
    const std::size_t semicolon = orcpt.find(';');
    if (semicolon != std::string::npos) {
      command += " ORCPT=" + orcpt.substr(0, semicolon + 1) + encode_xtext(orcpt.substr(semicolon + 1));
    }
    break;
  }
  return command + "\r\n";
}

}  // namespace

SmtpClient::SmtpClient(asio::io_context& io, const v1::OutboundConfig& config, std::string helo_name,
                       asio::ssl::context& verify_context, asio::ssl::context& opportunistic_context)
    : io_(io),
      config_(config),
      helo_name_(std::move(helo_name)),
      verify_context_(verify_context),
      opportunistic_context_(opportunistic_context) {}

struct SmtpClient::Session {
  std::unique_ptr<SmtpClientConnection> connection;
  Extensions ext;
  std::string mx_name;
  bool reused = false;
};

struct SmtpClient::TransactionOutcome {
  HostAttempt attempt;
  bool reusable = false;  // the connection is in a clean state for another MAIL
  bool stale = false;     // a cached connection had died before MAIL: use a fresh one
};

SmtpClient::~SmtpClient() = default;

asio::awaitable<HostAttempt> SmtpClient::deliver(asio::ip::tcp::endpoint endpoint, std::string mx_name,
                                                 v1::TlsPolicy tls, const OutboundMessage& message) {
  const std::string key = endpoint.address().to_string() + "|" + std::to_string(endpoint.port()) + "|" + mx_name +
                          "|" + std::to_string(static_cast<int>(tls));
  while (std::unique_ptr<Session> session = take_parked(key)) {
    session->reused = true;
    TransactionOutcome outcome = co_await transaction(*session, message);
    if (outcome.stale) continue;  // the server closed it meanwhile; not a delivery attempt
    log::debug("connection_reused").kv("queue_id", message.queue_id).kv("relay", mx_name);
    if (outcome.reusable) {
      park(key, std::move(session));
    } else {
      co_await quit(std::move(session));
    }
    co_return outcome.attempt;
  }

  std::string error;
  std::unique_ptr<Session> session = co_await open_session(endpoint, mx_name, tls, error);
  if (!session) {
    HostAttempt attempt;
    attempt.try_next_host = true;
    attempt.error = error;
    co_return attempt;
  }
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
                                                                               v1::TlsPolicy tls, std::string& error) {
  using std::chrono::milliseconds;
  const milliseconds command_timeout(config_.command_timeout_ms());
  auto session = std::make_unique<Session>();
  session->connection = std::make_unique<SmtpClientConnection>(io_);
  session->mx_name = mx_name;
  SmtpClientConnection& connection = *session->connection;
  if (!co_await connection.connect(endpoint, milliseconds(config_.connect_timeout_ms()), error)) co_return nullptr;
  smtp::Reply greeting = co_await connection.read_reply(command_timeout);
  // RFC 5321 5.1: a host that does not greet with 220 is skipped.
  if (greeting.code != 220) {
    error = "greeting: " + std::to_string(greeting.code) + " " + greeting.text;
    co_return nullptr;
  }
  auto command = [&](const std::string& line) -> asio::awaitable<smtp::Reply> {
    if (!co_await connection.write(line, command_timeout)) co_return smtp::Reply{0, "", "write failed"};
    co_return co_await connection.read_reply(command_timeout);
  };
  smtp::Reply hello = co_await command("EHLO " + helo_name_ + "\r\n");
  if (hello.permanent()) hello = co_await command("HELO " + helo_name_ + "\r\n");  // RFC 5321 3.2
  if (hello.code != 250) {
    error = "EHLO: " + std::to_string(hello.code) + " " + hello.text;
    co_return nullptr;
  }
  session->ext = hello.text.find('\n') != std::string::npos ? parse_ehlo(hello) : Extensions{};

  const bool tls_required = tls == v1::TLS_ENCRYPT || tls == v1::TLS_VERIFY;
  if (tls != v1::TLS_NONE && session->ext.starttls) {
    const smtp::Reply ready = co_await command("STARTTLS\r\n");
    if (ready.code == 220) {
      const bool verify = tls == v1::TLS_VERIFY;
      if (!co_await connection.start_tls(verify ? verify_context_ : opportunistic_context_, mx_name, verify,
                                         command_timeout, error)) {
        // Never fall back to plaintext on this connection (the server
        // expects TLS now); the next host or attempt may do better.
        co_return nullptr;
      }
      hello = co_await command("EHLO " + helo_name_ + "\r\n");
      if (hello.code != 250) {
        error = "EHLO after STARTTLS: " + hello.text;
        co_return nullptr;
      }
      session->ext = parse_ehlo(hello);
    } else if (tls_required) {
      error = "STARTTLS refused: " + std::to_string(ready.code) + " " + ready.text;
      co_return nullptr;
    }
  }
  if (tls_required && !connection.tls_active()) {
    error = "TLS required by policy but " + mx_name + " does not offer STARTTLS";
    co_return nullptr;
  }
  co_return session;
}

asio::awaitable<SmtpClient::TransactionOutcome> SmtpClient::transaction(Session& session,
                                                                        const OutboundMessage& message) {
  using std::chrono::milliseconds;
  const milliseconds command_timeout(config_.command_timeout_ms());
  SmtpClientConnection& connection = *session.connection;
  const Extensions& ext = session.ext;
  const std::string& mx_name = session.mx_name;
  TransactionOutcome outcome;
  HostAttempt& attempt = outcome.attempt;
  attempt.tls = connection.tls_active();
  auto all = [&](const smtp::Reply& reply) {
    for (const auto& rcpt : message.recipients) attempt.results[rcpt] = result_from(rcpt, reply, mx_name);
    return outcome;
  };
  auto command = [&](const std::string& line) -> asio::awaitable<smtp::Reply> {
    if (!co_await connection.write(line, command_timeout)) co_return smtp::Reply{0, "", "write failed"};
    co_return co_await connection.read_reply(command_timeout);
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

  // MAIL, RCPT..., DATA: in one write with PIPELINING (RFC 2920), else one at a time.
  std::vector<std::string> commands{mail_command(message, ext)};
  for (const auto& rcpt : message.recipients) commands.push_back(rcpt_command(message, rcpt, ext));
  commands.push_back("DATA\r\n");
  std::vector<smtp::Reply> replies;
  if (ext.pipelining) {
    std::string batch;
    for (const auto& c : commands) batch += c;
    if (!co_await connection.write(batch, command_timeout)) {
      outcome.stale = session.reused;
      co_return all(lost("write to " + mx_name + " failed"));
    }
    for (std::size_t i = 0; i < commands.size(); ++i) replies.push_back(co_await connection.read_reply(command_timeout));
  } else {
    for (std::size_t i = 0; i < commands.size(); ++i) {
      replies.push_back(co_await command(commands[i]));
      const bool mail_failed = i == 0 && !replies[0].positive();
      const bool last_rcpt = i == commands.size() - 2;
      bool none_accepted = true;
      for (std::size_t r = 1; r < replies.size(); ++r) none_accepted = none_accepted && !replies[r].positive();
      if (mail_failed || (last_rcpt && none_accepted)) break;
    }
  }
  // A cached connection the server has closed fails at MAIL: not this
  // message's fault, so the caller opens a fresh one.
  if (session.reused && replies[0].code == 0) {
    outcome.stale = true;
    co_return outcome;
  }
  for (const auto& reply : replies) {
    if (reply.code == 0) co_return all(lost(mx_name + ": " + reply.text));
  }
  if (!replies[0].positive()) co_return all(replies[0]);
  std::vector<std::string> accepted;
  for (std::size_t i = 0; i < message.recipients.size(); ++i) {
    const std::string& rcpt = message.recipients[i];
    if (i + 1 < replies.size() && replies[i + 1].positive()) {
      accepted.push_back(rcpt);
    } else if (i + 1 < replies.size()) {
      attempt.results[rcpt] = result_from(rcpt, replies[i + 1], mx_name);
    }
  }
  const bool data_started = replies.size() == commands.size() && replies.back().code == 354;
  if (accepted.empty()) {
    if (data_started) co_await connection.write(".\r\n", command_timeout);  // a server that said 354 anyway
    co_return outcome;
  }
  if (!data_started) {
    const smtp::Reply refusal = replies.size() == commands.size() ? replies.back() : lost("no DATA reply");
    for (const auto& rcpt : accepted) attempt.results[rcpt] = result_from(rcpt, refusal, mx_name);
    co_return outcome;
  }
  smtp::Reply final_reply;
  if (!co_await connection.write(smtp::dot_stuff(*message.message), milliseconds(config_.data_timeout_ms()))) {
    final_reply = lost("connection lost while sending data to " + mx_name);
  } else {
    // RFC 5321 4.5.3.2.6: 10 minutes for the answer to the final dot.
    final_reply = co_await connection.read_reply(milliseconds(config_.data_timeout_ms()));
    if (final_reply.code == 0) final_reply = lost(mx_name + ": " + final_reply.text);
  }
  for (const auto& rcpt : accepted) attempt.results[rcpt] = result_from(rcpt, final_reply, mx_name);
  log::debug("smtp_transaction").kv("queue_id", message.queue_id).kv("relay", mx_name)
      .kv("tls", connection.tls_description()).kv("code", final_reply.code);
  // After the final reply the transaction is over (RFC 5321 4.1.4): the
  // connection can carry the next MAIL.
  outcome.reusable = final_reply.code >= 200 && final_reply.code < 600 && final_reply.enhanced != "4.4.2";
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
  asio::steady_timer timer(io_, std::chrono::milliseconds(config_.connection_cache_ms()));
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
  const std::chrono::milliseconds bound(std::min<uint32_t>(config_.command_timeout_ms(), 5000));
  if (co_await session->connection->write("QUIT\r\n", bound)) co_await session->connection->read_reply(bound);
  session->connection->close();
}

}  // namespace mailpipe::mta
