// Golden SMTP dialogues: tests/data/smtp/<name>.in holds what a client
// sends (LF shown, sent as CRLF unless the line ends in "<LF>" or "<CR>"
// markers), <name>.out the exact replies expected. The session runs over a
// real loopback TCP connection with a recording sink and an MX-like policy
// (no AUTH, any sender), so these test the grammar, limits and replies.
#include "common/smtp/session.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/smtp/replies.hpp"

namespace mailpipe::smtp {
namespace {

using namespace std::chrono_literals;

class OpenPolicy final : public Policy {
 public:
  bool offers_auth() const override { return false; }
  asio::awaitable<bool> verify_password(std::string, std::string) override { co_return false; }
  std::optional<Reply> check_sender(const SessionInfo&, const Address&) const override { return std::nullopt; }
  std::optional<Reply> check_recipient(const SessionInfo&, const Address& to) const override {
    if (to.local == "nobody") return replies::unknown_user();
    return std::nullopt;
  }
};

class RecordingSink final : public MessageSink {
 public:
  asio::awaitable<Reply> accept(const SessionInfo&, const Transaction& transaction, std::string message) override {
    messages.push_back(std::move(message));
    recipients.push_back(transaction.recipients.size());
    co_return replies::queued("TESTQUEUEID");
  }
  std::vector<std::string> messages;
  std::vector<std::size_t> recipients;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Golden files use LF for readability; the wire uses CRLF. "{bare-LF}" and
// "{bare-CR}" at the end of a line stand for a bare LF or CR instead.
std::string to_wire(const std::string& golden) {
  std::string wire;
  std::istringstream lines(golden);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.ends_with("{bare-LF}")) {
      wire += line.substr(0, line.size() - 9) + "\n";
    } else if (line.ends_with("{bare-CR}")) {
      wire += line.substr(0, line.size() - 9) + "\r";
    } else {
      wire += line + "\r\n";
    }
  }
  return wire;
}

struct Dialogue {
  std::string replies;
  RecordingSink sink;
};

// Runs one session: sends `client_bytes` in one write (and nothing more;
// the socket stays open, so an idle client times out) and collects
// everything the server says until it closes.
void run_dialogue(const std::string& client_bytes, Dialogue& out, v1::SmtpLimits limits = {}) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  OpenPolicy policy;
  SessionSettings settings{"mx.test", limits, false};

  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto socket = co_await acceptor.async_accept(asio::use_awaitable);
    Session session(Connection(std::move(socket), nullptr), settings, policy, out.sink);
    co_await session.run();
  }, asio::detached);

  asio::ip::tcp::socket client(io);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await client.async_connect(acceptor.local_endpoint(), asio::use_awaitable);
    co_await asio::async_write(client, asio::buffer(client_bytes), asio::use_awaitable);
    char buffer[4096];
    for (;;) {
      asio::error_code ec;
      const std::size_t n = co_await client.async_read_some(asio::buffer(buffer),
                                                            asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      out.replies.append(buffer, n);
    }
    io.stop();
  }, asio::detached);
  io.run_for(10s);
}

class GoldenDialogue : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenDialogue, RepliesMatch) {
  const std::string base = std::string(MAILPIPE_TEST_DATA) + "/smtp/" + GetParam();
  Dialogue dialogue;
  run_dialogue(to_wire(read_text(base + ".in")), dialogue);
  EXPECT_EQ(dialogue.replies, to_wire(read_text(base + ".out")));
  const std::string expected_message = read_text(base + ".msg");
  if (!expected_message.empty()) {
    ASSERT_EQ(dialogue.sink.messages.size(), 1u);
    EXPECT_EQ(dialogue.sink.messages[0], to_wire(expected_message));
  }
}

INSTANTIATE_TEST_SUITE_P(Smtp, GoldenDialogue,
                         ::testing::Values("basic", "pipelined", "sequence_errors", "smuggling_bare_lf",
                                           "dot_unstuffing", "long_line", "too_many_errors", "parameters",
                                           "starttls_unavailable"));

TEST(Session, SmugglingAttemptIsNotSplitIntoTwoMessages) {
  // CVE-2023-51764: "\n.\n" (or "\r\n.\n") must not end DATA, so the second
  // MAIL FROM stays inside the first message instead of becoming a message.
  Dialogue dialogue;
  run_dialogue("EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
               "Subject: one\r\n\r\nhi\r\n.\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@y.test>\r\n"
               "DATA\r\nSubject: smuggled\r\n\r\n.\r\nQUIT\r\n",
               dialogue);
  EXPECT_TRUE(dialogue.sink.messages.empty());
  EXPECT_NE(dialogue.replies.find("550 5.6.0"), std::string::npos) << dialogue.replies;
  EXPECT_EQ(dialogue.replies.find("TESTQUEUEID"), std::string::npos) << dialogue.replies;
}

TEST(Session, IdleClientGetsTimeoutReply) {
  v1::SmtpLimits limits;
  limits.set_idle_timeout_ms(200);
  Dialogue dialogue;
  run_dialogue("", dialogue, limits);  // connects and says nothing
  EXPECT_EQ(dialogue.replies, "220 mx.test ESMTP mailpipe\r\n421 4.4.2 mx.test Timeout, closing connection\r\n");
}

TEST(Session, TooManyRecipientsIsRefusedPerRecipient) {
  v1::SmtpLimits limits;
  limits.set_max_recipients(2);
  Dialogue dialogue;
  run_dialogue("EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b1@y.test>\r\nRCPT TO:<b2@y.test>\r\n"
               "RCPT TO:<b3@y.test>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n",
               dialogue, limits);
  EXPECT_NE(dialogue.replies.find("452 4.5.3 Too many recipients\r\n"), std::string::npos) << dialogue.replies;
  ASSERT_EQ(dialogue.sink.recipients.size(), 1u);
  EXPECT_EQ(dialogue.sink.recipients[0], 2u);
}

TEST(Session, OversizedMessageIsRefusedAndSessionContinues) {
  v1::SmtpLimits limits;
  limits.set_max_message_bytes(100);
  Dialogue dialogue;
  run_dialogue("EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n" + std::string(300, 'x') +
                   "\r\n.\r\nNOOP\r\nQUIT\r\n",
               dialogue, limits);
  EXPECT_NE(dialogue.replies.find("552 5.3.4"), std::string::npos) << dialogue.replies;
  EXPECT_NE(dialogue.replies.find("250 2.0.0 Ok\r\n221 2.0.0"), std::string::npos) << dialogue.replies;
  EXPECT_TRUE(dialogue.sink.messages.empty());
}

TEST(Session, MailSizeParameterAboveLimitIsRefused) {
  v1::SmtpLimits limits;
  limits.set_max_message_bytes(1000);
  Dialogue dialogue;
  run_dialogue("EHLO c\r\nMAIL FROM:<a@x.test> SIZE=1001\r\nQUIT\r\n", dialogue, limits);
  EXPECT_NE(dialogue.replies.find("552 5.3.4"), std::string::npos) << dialogue.replies;
}

}  // namespace
}  // namespace mailpipe::smtp
