#include "mda/lmtp_client.hpp"

#include <cstdlib>
#include <optional>
#include <sstream>

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

std::string dot_stuffed(std::string_view message) {
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

asio::awaitable<std::vector<v1::RecipientResult>> deliver_by_lmtp(const LmtpTarget& target,
                                                                  const std::string& lhlo_name,
                                                                  const LmtpMessage& message) {
  const std::vector<std::string>& recipients = message.recipients;
  std::vector<std::optional<v1::RecipientResult>> results(recipients.size());
  auto finish = [&](auto&& fill) {
    std::vector<v1::RecipientResult> out;
    for (std::size_t i = 0; i < recipients.size(); ++i) out.push_back(results[i] ? *results[i] : fill(recipients[i]));
    return out;
  };
  auto all_tempfail = [&](const std::string& why) {
    return finish([&](const std::string& address) { return tempfail(address, target, why); });
  };
  auto lost = [&](const std::string& step, const smtp::Reply& reply) {
    return all_tempfail(step + ": " + reply.text);
  };

  LmtpConnection connection(co_await asio::this_coro::executor, target.timeout);
  auto command = [&](const std::string& line) -> asio::awaitable<smtp::Reply> {
    if (!co_await connection.write(line)) {
      co_return smtp::Reply{0, "", connection.timed_out() ? "timed out sending a command" : "connection lost"};
    }
    co_return co_await connection.read_reply();
  };

  if (const std::string error = co_await connection.connect(target.endpoint); !error.empty()) {
    co_return all_tempfail(error);
  }
  const smtp::Reply greeting = co_await connection.read_reply();
  if (greeting.code != 220) {
    co_return all_tempfail(greeting.code == 0 ? "no greeting: " + greeting.text
                                              : "greeting " + std::to_string(greeting.code) + " " + greeting.text);
  }
  const smtp::Reply hello = co_await command("LHLO " + lhlo_name + "\r\n");
  if (hello.code != 250) {
    co_return all_tempfail(hello.code == 0 ? "LHLO: " + hello.text
                                           : "LHLO refused: " + std::to_string(hello.code) + " " + hello.text);
  }
  const Extensions ext = parse_lhlo(hello);

  // A value that could split the command line is refused before it is sent.
  if (!safe_in_command(message.envelope->mail_from())) {
    co_return finish([](const std::string& address) {
      return lmtp_result(address, smtp::Reply{550, "5.1.7", "Sender address not allowed in an LMTP command"});
    });
  }
  const smtp::Reply mail = co_await command(mail_command(message, ext));
  if (mail.code == 0) co_return lost("MAIL FROM", mail);
  if (!mail.positive()) {
    co_await connection.write("QUIT\r\n");
    co_return finish([&](const std::string& address) { return lmtp_result(address, mail); });
  }

  std::vector<std::size_t> accepted;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    if (!safe_in_command(recipients[i])) {
      results[i] = lmtp_result(recipients[i], smtp::Reply{550, "5.1.3", "Recipient address not allowed in an LMTP command"});
      continue;
    }
    const smtp::Reply rcpt = co_await command("RCPT TO:<" + recipients[i] + ">\r\n");
    if (rcpt.code == 0) co_return lost("RCPT TO", rcpt);
    if (rcpt.positive()) {
      accepted.push_back(i);
    } else {
      results[i] = lmtp_result(recipients[i], rcpt);
    }
  }
  if (!accepted.empty()) {
    const smtp::Reply data = co_await command("DATA\r\n");
    if (data.code == 0) co_return lost("DATA", data);
    if (data.code != 354) {
      for (std::size_t i : accepted) results[i] = lmtp_result(recipients[i], data);
    } else {
      if (!co_await connection.write(dot_stuffed(*message.message))) {
        co_return all_tempfail(connection.timed_out() ? "timed out sending the message" : "connection lost sending the message");
      }
      // RFC 2033 4.2: one reply per recipient accepted at RCPT, in order.
      for (std::size_t i : accepted) {
        const smtp::Reply reply = co_await connection.read_reply();
        if (reply.code == 0) co_return lost("after the final dot", reply);
        results[i] = lmtp_result(recipients[i], reply);
      }
    }
  }
  connection.shorten_deadline(quit_bound);
  if (co_await connection.write("QUIT\r\n")) co_await connection.read_reply();
  co_return finish([&](const std::string& address) { return tempfail(address, target, "no reply"); });
}

}  // namespace mailpipe::mda
