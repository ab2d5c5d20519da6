#include "mda/lmtp_client.hpp"

#include <cstdlib>
#include <optional>
#include <sstream>

#include "common/smtp/client_text.hpp"
#include "mda/lmtp_connection.hpp"

namespace mailpipe::mda {
namespace {

// QUIT is a courtesy once every recipient has its answer.
constexpr std::chrono::seconds quit_bound{2};

struct Extensions {
  bool eightbit = false;
  bool smtputf8 = false;
  uint64_t size = 0;  // 0: not advertised or no limit
};

Extensions parse_lhlo(const smtp::Reply& reply) {
  Extensions ext;
  std::istringstream lines(reply.text);
  std::string line;
  std::getline(lines, line);  // the greeting line names the host
  while (std::getline(lines, line)) {
    std::string keyword = line.substr(0, line.find(' '));
    for (char& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (keyword == "8BITMIME") ext.eightbit = true;
    if (keyword == "SMTPUTF8") ext.smtputf8 = true;
    if (keyword == "SIZE" && line.size() > 5) ext.size = std::strtoull(line.c_str() + 5, nullptr, 10);
  }
  return ext;
}

std::string mail_command(const LmtpMessage& message, const Extensions& ext) {
  const v1::Envelope& envelope = *message.envelope;
  std::string command = "MAIL FROM:<" + envelope.mail_from() + ">";
  if (ext.size) command += " SIZE=" + std::to_string(message.message->size());  // RFC 1870
  if (ext.eightbit && envelope.body_type() == v1::BODY_8BITMIME) command += " BODY=8BITMIME";  // RFC 6152
  if (ext.smtputf8 && envelope.smtputf8()) command += " SMTPUTF8";  // RFC 6531
  return command + "\r\n";
}

// A Deliver comes from the MTA, but an address with CR or LF must still
// never become a second LMTP command.
bool safe_in_command(const std::string& text) { return text.find_first_of("\r\n<>") == std::string::npos; }

v1::RecipientResult tempfail(const std::string& address, const LmtpTarget& target, const std::string& why) {
  return lmtp_result(address, smtp::Reply{451, "4.4.1", "LMTP server " + target.server + ": " + why});
}

}  // namespace

v1::RecipientResult lmtp_result(const std::string& address, const smtp::Reply& reply) {
  v1::RecipientResult result;
  result.set_address(address);
  result.set_outcome(reply.positive() ? v1::DELIVERED : reply.permanent() ? v1::PERMFAIL : v1::TEMPFAIL);
  auto* status = result.mutable_status();
  status->set_code(static_cast<uint32_t>(reply.code));
  std::string enhanced = reply.enhanced;
  if (enhanced.empty()) enhanced = reply.positive() ? "2.0.0" : reply.permanent() ? "5.0.0" : "4.0.0";
  status->set_enhanced(enhanced);
  std::string text;
  for (char c : reply.text) {
    const auto byte = static_cast<unsigned char>(c);
    text += c == '\n' ? ' ' : (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  status->set_text(text);
  return result;
}

namespace {

using Results = std::vector<std::optional<v1::RecipientResult>>;

// `line` must outlive the call: callers pass a named string, never a
// temporary. Every co_await here stands alone in its statement: GCC 12
// miscompiled `co_return co_await ...` in this function (resumed a frame
// at a bad suspension point, SIGILL).
asio::awaitable<smtp::Reply> command(LmtpConnection& connection, const std::string& line) {
  const bool written = co_await connection.write(line);
  if (!written) {
    co_return smtp::Reply{0, "", connection.timed_out() ? "timed out sending a command" : "connection lost"};
  }
  smtp::Reply reply = co_await connection.read_reply();
  co_return reply;
}

// Connect, greeting, LHLO. "" with `ext` set, or why there is no session.
asio::awaitable<std::string> open_session(LmtpConnection& connection, const LmtpTarget& target,
                                          const std::string& lhlo_name, Extensions& ext) {
  const std::string connect_error = co_await connection.connect(target.endpoint);
  if (!connect_error.empty()) co_return connect_error;
  const smtp::Reply greeting = co_await connection.read_reply();
  if (greeting.code == 0) co_return "no greeting: " + greeting.text;
  if (greeting.code != 220) co_return "greeting " + std::to_string(greeting.code) + " " + greeting.text;
  const std::string lhlo = "LHLO " + lhlo_name + "\r\n";
  const smtp::Reply hello = co_await command(connection, lhlo);
  if (hello.code == 0) co_return "LHLO: " + hello.text;
  if (hello.code != 250) co_return "LHLO refused: " + std::to_string(hello.code) + " " + hello.text;
  ext = parse_lhlo(hello);
  co_return "";
}

// MAIL, RCPT for each recipient, DATA, the message, and the replies after
// the dot. Fills `results` for every recipient the server answered; ""
// or, when the session broke, where and why (the rest stay unanswered).
asio::awaitable<std::string> transaction(LmtpConnection& connection, const LmtpMessage& message,
                                         const Extensions& ext, Results& results) {
  const std::vector<std::string>& recipients = message.recipients;
  auto answer_all = [&](const smtp::Reply& reply) {
    for (std::size_t i = 0; i < recipients.size(); ++i) {
      if (!results[i]) results[i] = lmtp_result(recipients[i], reply);
    }
  };
  // A value that could split the command line is refused before it is sent.
  if (!safe_in_command(message.envelope->mail_from())) {
    answer_all(smtp::Reply{550, "5.1.7", "Sender address not allowed in an LMTP command"});
    co_return "";
  }
  const std::string mail_line = mail_command(message, ext);
  const smtp::Reply mail = co_await command(connection, mail_line);
  if (mail.code == 0) co_return "MAIL FROM: " + mail.text;
  if (!mail.positive()) {
    answer_all(mail);
    co_return "";
  }
  std::vector<std::size_t> accepted;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    if (!safe_in_command(recipients[i])) {
      results[i] = lmtp_result(recipients[i], smtp::Reply{550, "5.1.3", "Recipient address not allowed in an LMTP command"});
      continue;
    }
    const std::string rcpt_line = "RCPT TO:<" + recipients[i] + ">\r\n";
    const smtp::Reply rcpt = co_await command(connection, rcpt_line);
    if (rcpt.code == 0) co_return "RCPT TO: " + rcpt.text;
    if (rcpt.positive()) {
      accepted.push_back(i);
    } else {
      results[i] = lmtp_result(recipients[i], rcpt);
    }
  }
  if (accepted.empty()) co_return "";
  const std::string data_line = "DATA\r\n";
  const smtp::Reply data = co_await command(connection, data_line);
  if (data.code == 0) co_return "DATA: " + data.text;
  if (data.code != 354) {
    answer_all(data);
    co_return "";
  }
  const std::string data_lines = smtp::dot_stuff(*message.message);
  const bool sent = co_await connection.write(data_lines);
  if (!sent) {
    co_return connection.timed_out() ? "timed out sending the message" : "connection lost sending the message";
  }
  // RFC 2033 4.2: one reply per recipient accepted at RCPT, in RCPT order.
  for (std::size_t i : accepted) {
    const smtp::Reply reply = co_await connection.read_reply();
    if (reply.code == 0) co_return "after the final dot: " + reply.text;
    results[i] = lmtp_result(recipients[i], reply);
  }
  co_return "";
}

}  // namespace

asio::awaitable<std::vector<v1::RecipientResult>> deliver_by_lmtp(const LmtpTarget& target,
                                                                  const std::string& lhlo_name,
                                                                  const LmtpMessage& message) {
  Results results(message.recipients.size());
  LmtpConnection connection(co_await asio::this_coro::executor, target.timeout);
  Extensions ext;
  std::string broken = co_await open_session(connection, target, lhlo_name, ext);
  if (broken.empty()) {
    broken = co_await transaction(connection, message, ext, results);
    if (broken.empty()) {
      connection.shorten_deadline(quit_bound);
      const bool quit_sent = co_await connection.write("QUIT\r\n");
      if (quit_sent) co_await connection.read_reply();
    }
  }
  // Whoever the server did not answer for (no session, a timeout, the
  // connection lost) is kept by the MTA for a later try.
  std::vector<v1::RecipientResult> out;
  for (std::size_t i = 0; i < results.size(); ++i) {
    out.push_back(results[i] ? *results[i] : tempfail(message.recipients[i], target, broken.empty() ? "no reply" : broken));
  }
  co_return out;
}

}  // namespace mailpipe::mda
