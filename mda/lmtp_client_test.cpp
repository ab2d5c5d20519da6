// The LMTP client against a scripted fake LMTP server on loopback (TCP and
// a UNIX socket): the dialogue, one reply per recipient after the dot, the
// reply mapping, and every way a session can fail.
#include "mda/lmtp_client.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <optional>

#include "common/smtp/client/outcome.hpp"
#include "mda/config/lmtp_server_address.hpp"

namespace mailpipe::mda {
namespace {

using namespace std::chrono_literals;
using asio::generic::stream_protocol;
using Acceptor = asio::basic_socket_acceptor<stream_protocol>;

// Accepts one connection and plays an LMTP server: greeting, then one
// reply per command from `answer`, and after DATA the `after_dot` replies.
// Records every line it got.
struct FakeServer {
  std::string greeting = "220 fake.test LMTP ready\r\n";
  std::string lhlo = "250-fake.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
  std::function<std::string(const std::string&)> answer = [](const std::string& line) -> std::string {
    if (line.starts_with("RCPT TO:<unknown")) return "550 5.1.1 <unknown@example.test> User doesn't exist\r\n";
    if (line.starts_with("DATA")) return "354 OK\r\n";
    if (line.starts_with("QUIT")) return "221 2.0.0 Bye\r\n";
    return "250 2.1.0 OK\r\n";
  };
  std::vector<std::string> after_dot;
  std::vector<std::string> commands;
  std::string data;  // as received, dot-stuffed, up to and with the final dot

  asio::awaitable<void> serve(Acceptor& acceptor) {
    stream_protocol::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::error_code ec;
    if (!greeting.empty()) co_await asio::async_write(socket, asio::buffer(greeting), asio::redirect_error(asio::use_awaitable, ec));
    std::string buffer;
    bool in_data = false;
    while (!ec) {
      std::size_t end = buffer.find("\r\n");
      if (end == std::string::npos) {
        char chunk[4096];
        const std::size_t n = co_await socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
        buffer.append(chunk, n);
        continue;
      }
      const std::string line = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      std::string reply;
      if (in_data) {
        data += line + "\r\n";
        if (line != ".") continue;
        in_data = false;
        for (const auto& r : after_dot) reply += r;
      } else {
        commands.push_back(line);
        reply = line.starts_with("LHLO") ? lhlo : answer(line);
        in_data = reply.starts_with("354");
      }
      co_await asio::async_write(socket, asio::buffer(reply), asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

struct Loopback {
  asio::io_context io;
  Acceptor acceptor{io};
  std::string socket_path;

  // Listens on 127.0.0.1:0 (or a UNIX socket); returns the server text.
  std::string listen(bool unix_socket = false) {
    if (unix_socket) {
      socket_path = "/tmp/mailpipe-lmtp-test-" + std::to_string(::getpid()) + ".sock";
      ::unlink(socket_path.c_str());
      const stream_protocol::endpoint at{asio::local::stream_protocol::endpoint(socket_path)};
      acceptor.open(at.protocol());
      acceptor.bind(at);
      acceptor.listen();
      return "unix:" + socket_path;
    }
    const stream_protocol::endpoint at{asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    acceptor.open(at.protocol());
    acceptor.bind(at);
    acceptor.listen();
    asio::ip::tcp::endpoint tcp;
    tcp.resize(acceptor.local_endpoint().size());
    std::memcpy(tcp.data(), acceptor.local_endpoint().data(), tcp.size());
    return "127.0.0.1:" + std::to_string(tcp.port());
  }

  ~Loopback() {
    if (!socket_path.empty()) ::unlink(socket_path.c_str());
  }

  std::vector<v1::RecipientResult> deliver(FakeServer* server, const std::string& server_text,
                                           const v1::Envelope& envelope, std::vector<std::string> recipients,
                                           const std::string& body, std::chrono::milliseconds timeout = 5s) {
    if (server) asio::co_spawn(io, server->serve(acceptor), asio::detached);
    std::string problem;
    const auto endpoint = parse_lmtp_server(server_text, problem);
    EXPECT_TRUE(endpoint) << problem;
    const LmtpTarget target{server_text, *endpoint, timeout};
    LmtpMessage message{&envelope, std::move(recipients), &body};
    std::vector<v1::RecipientResult> results;
    const std::string lhlo_name = "mda.test";
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      results = co_await deliver_by_lmtp(target, lhlo_name, message);
      io.stop();
    }, asio::detached);
    io.run_for(10s);
    return results;
  }
};

v1::Envelope envelope(const std::string& from = "alice@remote.test") {
  v1::Envelope e;
  e.set_mail_from(from);
  e.set_queue_id("01QUEUE");
  return e;
}

TEST(LmtpReply, MapsClassesToOutcomesWithTheServersStatus) {
  const auto ok = smtp::client::recipient_result("b@x", smtp::Reply{250, "2.0.0", "<b@x> Saved"});
  EXPECT_EQ(ok.outcome(), v1::DELIVERED);
  EXPECT_EQ(ok.status().code(), 250u);
  EXPECT_EQ(ok.status().enhanced(), "2.0.0");
  EXPECT_EQ(ok.status().text(), "<b@x> Saved");
  const auto later = smtp::client::recipient_result("b@x", smtp::Reply{452, "4.2.2", "Mailbox full"});
  EXPECT_EQ(later.outcome(), v1::TEMPFAIL);
  EXPECT_EQ(later.status().enhanced(), "4.2.2");
  const auto never = smtp::client::recipient_result("b@x", smtp::Reply{550, "5.1.1", "User doesn't exist\nsecond line\r"});
  EXPECT_EQ(never.outcome(), v1::PERMFAIL);
  EXPECT_EQ(never.status().text(), "User doesn't exist second line?");
  // No enhanced code from the server: the class's X.0.0.
  EXPECT_EQ(smtp::client::recipient_result("b@x", smtp::Reply{554, "", "no"}).status().enhanced(), "5.0.0");
  EXPECT_EQ(smtp::client::recipient_result("b@x", smtp::Reply{421, "", "bye"}).status().enhanced(), "4.0.0");
}

TEST(LmtpServerAddress, UnixTcpAndBracketedIpv6) {
  std::string problem;
  EXPECT_TRUE(parse_lmtp_server("unix:/run/dovecot/lmtp", problem));
  EXPECT_TRUE(parse_lmtp_server("127.0.0.1:24", problem));
  EXPECT_TRUE(parse_lmtp_server("[::1]:24", problem));
  for (const char* bad : {"unix:relative", "localhost:24", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000",
                          "::1:24", "[::1]", "127.0.0.1:24x", ""}) {
    problem.clear();
    EXPECT_FALSE(parse_lmtp_server(bad, problem)) << bad;
    EXPECT_FALSE(problem.empty()) << bad;
  }
  EXPECT_FALSE(parse_lmtp_server("unix:/" + std::string(200, 'x'), problem));
}

// The one result for bob@example.test when `server` answers, over TCP.
v1::RecipientResult result_for_bob(FakeServer& server) {
  Loopback run;
  const auto results = run.deliver(&server, run.listen(), envelope(), {"bob@example.test"}, "x\r\n");
  EXPECT_EQ(results.size(), 1u);
  return results.empty() ? v1::RecipientResult{} : results[0];
}

TEST(LmtpClient, OneTransactionOneReplyPerAcceptedRecipientAfterTheDot) {
  FakeServer server;  // outlives the io_context that runs it
  Loopback run;
  // RFC 2033 4.2: bob and carol were accepted at RCPT; each gets its own
  // reply after the dot, in RCPT order.
  server.after_dot = {"250 2.0.0 <bob@example.test> Saved\r\n", "452 4.2.2 <carol@example.test> Quota exceeded\r\n"};
  const std::string text = run.listen();
  v1::Envelope e = envelope();
  e.set_body_type(v1::BODY_8BITMIME);
  const auto results = run.deliver(&server, text, e, {"bob@example.test", "unknown@example.test", "carol@example.test"},
                                   "Subject: hi\r\n\r\n.leading dot\r\nend\r\n");
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].address(), "bob@example.test");
  EXPECT_EQ(results[0].outcome(), v1::DELIVERED);
  EXPECT_EQ(results[0].status().text(), "<bob@example.test> Saved");
  EXPECT_EQ(results[1].outcome(), v1::PERMFAIL);
  EXPECT_EQ(results[1].status().code(), 550u);
  EXPECT_EQ(results[1].status().enhanced(), "5.1.1");
  EXPECT_EQ(results[2].outcome(), v1::TEMPFAIL);
  EXPECT_EQ(results[2].status().enhanced(), "4.2.2");
  EXPECT_EQ(server.commands, (std::vector<std::string>{
                                 "LHLO mda.test", "MAIL FROM:<alice@remote.test> BODY=8BITMIME",
                                 "RCPT TO:<bob@example.test>", "RCPT TO:<unknown@example.test>",
                                 "RCPT TO:<carol@example.test>", "DATA", "QUIT"}));
  EXPECT_EQ(server.data, "Subject: hi\r\n\r\n..leading dot\r\nend\r\n.\r\n");
}

// The MAIL command sent for `e` to a server whose LHLO reply is `lhlo`
// (the fake's, with every extension, when not given).
std::string mail_command_for(const v1::Envelope& e, const std::optional<std::string>& lhlo = std::nullopt) {
  FakeServer server;  // outlives the io_context that runs it
  Loopback run;
  if (lhlo) server.lhlo = *lhlo;
  server.after_dot = {"250 2.0.0 ok\r\n"};
  run.deliver(&server, run.listen(), e, {"bob@example.test"}, "x\r\n");
  return server.commands.at(1);
}

v1::Envelope with_smtputf8_and_8bitmime(v1::Envelope e) {
  e.set_smtputf8(true);
  e.set_body_type(v1::BODY_8BITMIME);
  return e;
}

TEST(LmtpClient, ExtensionsOnlyWhenTheEnvelopeHasThemAndTheServerOffersThem) {
  EXPECT_EQ(mail_command_for(with_smtputf8_and_8bitmime(envelope("jörg@remote.test"))),
            "MAIL FROM:<jörg@remote.test> BODY=8BITMIME SMTPUTF8");
  // No 8BITMIME, no SMTPUTF8 offered.
  EXPECT_EQ(mail_command_for(with_smtputf8_and_8bitmime(envelope()), "250-old.test\r\n250 SIZE 1000000\r\n"),
            "MAIL FROM:<alice@remote.test> SIZE=3");
  EXPECT_EQ(mail_command_for(envelope("")), "MAIL FROM:<>");  // a bounce keeps its null sender
}

TEST(LmtpClient, WorksOverAUnixSocket) {
  FakeServer server;  // outlives the io_context that runs it
  Loopback run;
  server.after_dot = {"250 2.0.0 <bob@example.test> Saved\r\n"};
  const auto results = run.deliver(&server, run.listen(true), envelope(), {"bob@example.test"}, "x\r\n");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome(), v1::DELIVERED);
}

TEST(LmtpClient, NoRecipientAcceptedSendsNoData) {
  FakeServer server;  // outlives the io_context that runs it
  Loopback run;
  const auto results = run.deliver(&server, run.listen(), envelope(), {"unknown@example.test"}, "x\r\n");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome(), v1::PERMFAIL);
  EXPECT_EQ(server.commands.back(), "QUIT");
  EXPECT_TRUE(server.data.empty());
}

TEST(LmtpClient, RefusedSenderAnswersForEveryRecipient) {
  FakeServer server;  // outlives the io_context that runs it
  Loopback run;
  server.answer = [](const std::string& line) -> std::string {
    if (line.starts_with("MAIL")) return "451 4.3.0 Temporary failure\r\n";
    return "221 2.0.0 Bye\r\n";
  };
  const auto results = run.deliver(&server, run.listen(), envelope(), {"a@example.test", "b@example.test"}, "x\r\n");
  ASSERT_EQ(results.size(), 2u);
  for (const auto& result : results) {
    EXPECT_EQ(result.outcome(), v1::TEMPFAIL);
    EXPECT_EQ(result.status().enhanced(), "4.3.0");
  }
}

TEST(LmtpClient, ConnectionRefusedIsTempfail441NamingTheServer) {
  Loopback run;
  const std::string text = run.listen();
  run.acceptor.close();  // nobody listens there now
  const auto results = run.deliver(nullptr, text, envelope(), {"bob@example.test"}, "x\r\n");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome(), v1::TEMPFAIL);
  EXPECT_EQ(results[0].status().code(), 451u);
  EXPECT_EQ(results[0].status().enhanced(), "4.4.1");
  EXPECT_NE(results[0].status().text().find("LMTP server " + text), std::string::npos) << results[0].status().text();
}

TEST(LmtpClient, SilentServerTimesOutWithinTimeout) {
  FakeServer server;  // outlives the io_context that runs it
  Loopback run;
  server.greeting.clear();  // accepts, never speaks
  const std::string text = run.listen();
  const auto start = std::chrono::steady_clock::now();
  const auto results = run.deliver(&server, text, envelope(), {"bob@example.test"}, "x\r\n", 300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome(), v1::TEMPFAIL);
  EXPECT_EQ(results[0].status().enhanced(), "4.4.1");
  EXPECT_NE(results[0].status().text().find("timed out"), std::string::npos) << results[0].status().text();
  EXPECT_LT(took, 3s);
}

TEST(LmtpClient, ServerThatStopsAfterTheDotLeavesTheRestTemporary) {
  FakeServer server;  // outlives the io_context that runs it
  Loopback run;
  server.after_dot = {"250 2.0.0 <a@example.test> Saved\r\n"};  // and then nothing for b
  const auto results = run.deliver(&server, run.listen(), envelope(), {"a@example.test", "b@example.test"}, "x\r\n", 500ms);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].outcome(), v1::DELIVERED);
  EXPECT_EQ(results[1].outcome(), v1::TEMPFAIL);
  EXPECT_EQ(results[1].status().enhanced(), "4.4.1");
}

TEST(LmtpClient, EndlessReplyLineIsCutAndTemporary) {
  FakeServer server;
  server.greeting = "220-" + std::string(100000, 'x') + "\r\n220 ok\r\n";
  const v1::RecipientResult result = result_for_bob(server);
  EXPECT_EQ(result.outcome(), v1::TEMPFAIL);
  EXPECT_NE(result.status().text().find("too long"), std::string::npos) << result.status().text();
}

TEST(LmtpClient, TooManyReplyLinesAreCut) {
  FakeServer server;
  server.greeting.clear();
  for (int i = 0; i < 1000; ++i) server.greeting += "220-line\r\n";
  server.greeting += "220 ok\r\n";
  const v1::RecipientResult result = result_for_bob(server);
  EXPECT_EQ(result.outcome(), v1::TEMPFAIL);
  EXPECT_NE(result.status().text().find("lines"), std::string::npos) << result.status().text();
}

TEST(LmtpClient, AddressWithLineBreakIsNeverSent) {
  FakeServer server;  // outlives the io_context that runs it
  Loopback run;
  server.after_dot = {"250 2.0.0 ok\r\n"};
  const auto results = run.deliver(&server, run.listen(), envelope(),
                                   {"bob@example.test>\r\nRCPT TO:<evil@example.test", "carol@example.test"}, "x\r\n");
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].outcome(), v1::PERMFAIL);
  EXPECT_EQ(results[0].status().enhanced(), "5.1.3");
  EXPECT_EQ(results[1].outcome(), v1::DELIVERED);
  for (const auto& command : server.commands) EXPECT_EQ(command.find("evil"), std::string::npos) << command;
}

}  // namespace
}  // namespace mailpipe::mda
