#include "mta/smtp_client.hpp"

#include <sstream>

#include "common/log.hpp"
#include "mta/smtp_client_connection.hpp"

namespace mailpipe::mta {
namespace {

struct Extensions {
  bool starttls = false;
  bool pipelining = false;
  bool eightbit = false;
  bool smtputf8 = false;
  bool dsn = false;
  uint64_t size = 0;  // 0: not advertised or no limit
};

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

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 5);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    const char c = message[i];
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n' && i > 0 && message[i - 1] == '\r';
  }
  if (!message.empty() && !message.ends_with("\r\n")) out += "\r\n";
  out += ".\r\n";
  return out;
}

SmtpClient::SmtpClient(asio::io_context& io, const v1::OutboundConfig& config, std::string helo_name,
                       asio::ssl::context& verify_context, asio::ssl::context& opportunistic_context)
    : io_(io),
      config_(config),
      helo_name_(std::move(helo_name)),
      verify_context_(verify_context),
      opportunistic_context_(opportunistic_context) {}

asio::awaitable<HostAttempt> SmtpClient::deliver(asio::ip::tcp::endpoint endpoint, std::string mx_name,
                                                 v1::TlsPolicy tls, const OutboundMessage& message) {
  using std::chrono::milliseconds;
  const milliseconds command_timeout(config_.command_timeout_ms());
  HostAttempt attempt;
  auto next_host = [&attempt](std::string why) {
    attempt.try_next_host = true;
    attempt.error = std::move(why);
    return attempt;
  };
  auto all = [&](const smtp::Reply& reply) {
    for (const auto& rcpt : message.recipients) attempt.results[rcpt] = result_from(rcpt, reply, mx_name);
    return attempt;
  };

  SmtpClientConnection connection(io_);
  std::string error;
  if (!co_await connection.connect(endpoint, milliseconds(config_.connect_timeout_ms()), error)) {
    co_return next_host(error);
  }
  smtp::Reply greeting = co_await connection.read_reply(command_timeout);
  // RFC 5321 5.1: a host that does not greet with 220 is skipped.
  if (greeting.code != 220) co_return next_host("greeting: " + std::to_string(greeting.code) + " " + greeting.text);

  auto command = [&](const std::string& line) -> asio::awaitable<smtp::Reply> {
    if (!co_await connection.write(line, command_timeout)) co_return smtp::Reply{0, "", "write failed"};
    co_return co_await connection.read_reply(command_timeout);
  };

  smtp::Reply hello = co_await command("EHLO " + helo_name_ + "\r\n");
  if (hello.permanent()) hello = co_await command("HELO " + helo_name_ + "\r\n");  // RFC 5321 3.2
  if (hello.code != 250) co_return next_host("EHLO: " + std::to_string(hello.code) + " " + hello.text);
  Extensions ext = hello.text.find('\n') != std::string::npos ? parse_ehlo(hello) : Extensions{};

  const bool tls_required = tls == v1::TLS_ENCRYPT || tls == v1::TLS_VERIFY;
  if (tls != v1::TLS_NONE && ext.starttls) {
    const smtp::Reply ready = co_await command("STARTTLS\r\n");
    if (ready.code == 220) {
      const bool verify = tls == v1::TLS_VERIFY;
      if (!co_await connection.start_tls(verify ? verify_context_ : opportunistic_context_, mx_name, verify,
                                         command_timeout, error)) {
        // Never fall back to plaintext on this connection (the server
        // expects TLS now); the next host or attempt may do better.
        co_return next_host(error);
      }
      hello = co_await command("EHLO " + helo_name_ + "\r\n");
      if (hello.code != 250) co_return next_host("EHLO after STARTTLS: " + hello.text);
      ext = parse_ehlo(hello);
    } else if (tls_required) {
      co_return next_host("STARTTLS refused: " + std::to_string(ready.code) + " " + ready.text);
    }
  }
  if (tls_required && !connection.tls_active()) {
    co_return next_host("TLS required by policy but " + mx_name + " does not offer STARTTLS");
  }

  // RFC 1870: do not send what the server said it will not take.
  if (ext.size && message.message->size() > ext.size) {
    co_return all(smtp::Reply{552, "5.3.4", "Message too big for " + mx_name + " (SIZE " + std::to_string(ext.size) + ")"});
  }
  // RFC 6531 3.7.5: an SMTPUTF8 message cannot go to a server without it.
  if (message.envelope.smtputf8() && !ext.smtputf8) {
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
    if (!co_await connection.write(batch, command_timeout)) co_return all(lost("write to " + mx_name + " failed"));
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
  for (const auto& reply : replies) {
    if (reply.code == 0) co_return all(lost(mx_name + ": " + reply.text));
  }
  if (!replies[0].positive()) {
    co_await command("QUIT\r\n");
    co_return all(replies[0]);
  }
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
    co_await command("QUIT\r\n");
    co_return attempt;
  }
  if (!data_started) {
    const smtp::Reply refusal = replies.size() == commands.size() ? replies.back() : lost("no DATA reply");
    for (const auto& rcpt : accepted) attempt.results[rcpt] = result_from(rcpt, refusal, mx_name);
    co_await command("QUIT\r\n");
    co_return attempt;
  }
  smtp::Reply final_reply;
  if (!co_await connection.write(dot_stuff(*message.message), milliseconds(config_.data_timeout_ms()))) {
    final_reply = lost("connection lost while sending data to " + mx_name);
  } else {
    // RFC 5321 4.5.3.2.6: 10 minutes for the answer to the final dot.
    final_reply = co_await connection.read_reply(milliseconds(config_.data_timeout_ms()));
    if (final_reply.code == 0) final_reply = lost(mx_name + ": " + final_reply.text);
  }
  for (const auto& rcpt : accepted) attempt.results[rcpt] = result_from(rcpt, final_reply, mx_name);
  log::debug("smtp_transaction").kv("queue_id", message.queue_id).kv("relay", mx_name)
      .kv("tls", connection.tls_description()).kv("code", final_reply.code);
  if (final_reply.code != 0) co_await command("QUIT\r\n");
  co_return attempt;
}

}  // namespace mailpipe::mta
