// The outbound client against our own SMTP server session (common/smtp)
// on loopback: a real server implementation, not a mock of one.
#include "mta/smtp_client.hpp"

#include <gtest/gtest.h>

#include "common/smtp/listener.hpp"
#include "common/smtp/replies.hpp"
#include "common/tls/server_context.hpp"

#include <unistd.h>
#include <cstdlib>

namespace mailpipe::mta {
namespace {

using namespace std::chrono_literals;

// Runs one delivery on `io` to 127.0.0.1:port and returns its outcome.
HostAttempt deliver_once(asio::io_context& io, SmtpClient& client, unsigned short port, const std::string& mx,
                         v1::TlsPolicy policy, const OutboundMessage& message) {
  HostAttempt attempt;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    attempt = co_await client.deliver({asio::ip::make_address("127.0.0.1"), port}, mx, policy, message);
    io.stop();
  }, asio::detached);
  io.run_for(10s);
  return attempt;
}

class RecipientPolicy final : public smtp::Policy {
 public:
  bool offers_auth() const override { return false; }
  asio::awaitable<bool> verify_password(std::string, std::string) override { co_return false; }
  std::optional<smtp::Reply> check_sender(const smtp::SessionInfo&, const smtp::Address&) const override {
    return std::nullopt;
  }
  std::optional<smtp::Reply> check_recipient(const smtp::SessionInfo&, const smtp::Address& to) const override {
    if (to.local == "unknown") return smtp::replies::unknown_user();
    if (to.local == "later") return smtp::replies::make(450, "4.2.1", "Mailbox busy");
    return std::nullopt;
  }
};

class Sink final : public smtp::MessageSink {
 public:
  asio::awaitable<smtp::Reply> accept(const smtp::SessionInfo&, const smtp::Transaction& transaction,
                                      std::string message) override {
    messages.push_back(message);
    recipients = transaction.recipients.size();
    co_return smtp::replies::queued("REMOTEID");
  }
  std::vector<std::string> messages;
  std::size_t recipients = 0;
};

// Our own server session on 127.0.0.1, on a port it picks, with the policy
// above; `tls` makes it offer STARTTLS.
struct LoopbackServer {
  LoopbackServer(asio::io_context& io, smtp::MessageSink& sink, const std::string& name = "remote.test",
                 asio::ssl::context* tls = nullptr)
      : listener(io, "127.0.0.1:0", smtp::SessionSettings{name, {}, false}, tls, policy, sink) {
    listener.start();
  }
  unsigned short port() const { return static_cast<unsigned short>(std::stoi(listener.local_address().substr(10))); }

  RecipientPolicy policy;
  smtp::Listener listener;
};

// The client under test with its own config and TLS contexts (`verify`
// checks certificates, for TLS_VERIFY).
struct Client {
  explicit Client(asio::io_context& io, v1::OutboundConfig outbound = {})
      : config(std::move(outbound)), client(io, config, "mta.test", verify, any) {}

  v1::OutboundConfig config;
  asio::ssl::context verify{asio::ssl::context::tls_client};
  asio::ssl::context any{asio::ssl::context::tls_client};
  SmtpClient client;
};

// The client and our server on one io_context, for messages to remote.test.
struct Loopback {
  explicit Loopback(v1::OutboundConfig config = {}) : client(io, std::move(config)) {}
  HostAttempt deliver(v1::TlsPolicy policy, const OutboundMessage& message) {
    return deliver_once(io, client.client, port, "remote.test", policy, message);
  }

  asio::io_context io;
  Sink sink;
  LoopbackServer server{io, sink};
  const unsigned short port = server.port();
  Client client;
};

TEST(SmtpClient, PerRecipientOutcomesOverPipelining) {
  Loopback loopback;
  const std::string body = "Subject: hi\r\n\r\n.dot line\r\n";
  OutboundMessage message{"QID12345", {}, {"ok@remote.test", "unknown@remote.test", "later@remote.test"}, &body};
  message.envelope.set_mail_from("a@local.test");
  HostAttempt attempt = loopback.deliver(v1::TLS_MAY, message);
  const Sink& sink = loopback.sink;

  ASSERT_FALSE(attempt.try_next_host) << attempt.error;
  ASSERT_EQ(attempt.results.size(), 3u);
  EXPECT_EQ(attempt.results["ok@remote.test"].outcome(), v1::DELIVERED);
  EXPECT_EQ(attempt.results["ok@remote.test"].remote_mta(), "remote.test");
  EXPECT_EQ(attempt.results["unknown@remote.test"].outcome(), v1::PERMFAIL);
  EXPECT_EQ(attempt.results["unknown@remote.test"].status().enhanced(), "5.1.1");
  EXPECT_EQ(attempt.results["later@remote.test"].outcome(), v1::TEMPFAIL);
  EXPECT_EQ(attempt.results["later@remote.test"].status().code(), 450u);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0], body);  // dot-stuffed on the wire, unstuffed by the server
  EXPECT_EQ(sink.recipients, 1u);
}

TEST(SmtpClient, ReusesTheConnectionForTheNextMessage) {
  v1::OutboundConfig config;
  config.set_connection_cache_ms(5000);
  Loopback loopback(config);
  const std::string body = "x\r\n";
  OutboundMessage message{"QID12345", {}, {"ok@remote.test"}, &body};
  ASSERT_FALSE(loopback.deliver(v1::TLS_MAY, message).try_next_host);
  // No new connection can be made now; only the cached one can carry this.
  loopback.server.listener.close();
  loopback.io.restart();
  const HostAttempt second = loopback.deliver(v1::TLS_MAY, message);
  ASSERT_FALSE(second.try_next_host) << second.error;
  EXPECT_EQ(second.results.at("ok@remote.test").outcome(), v1::DELIVERED);
  EXPECT_EQ(loopback.sink.messages.size(), 2u);
}

TEST(SmtpClient, RefusedConnectionMeansTryTheNextHost) {
  asio::io_context io;
  v1::OutboundConfig config;
  config.set_connect_timeout_ms(2000);
  Client c(io, config);
  const std::string body = "x\r\n";
  OutboundMessage message{"QID12345", {}, {"a@b.test"}, &body};
  // Port 1 on loopback: nothing listens there.
  const HostAttempt attempt = deliver_once(io, c.client, 1, "b.test", v1::TLS_MAY, message);
  EXPECT_TRUE(attempt.try_next_host);
  EXPECT_NE(attempt.error.find("connect"), std::string::npos) << attempt.error;
}

TEST(SmtpClient, EncryptPolicyRefusesAServerWithoutStartTls) {
  Loopback loopback;
  const std::string body = "x\r\n";
  OutboundMessage message{"QID12345", {}, {"ok@remote.test"}, &body};
  HostAttempt attempt = loopback.deliver(v1::TLS_ENCRYPT, message);
  EXPECT_TRUE(attempt.try_next_host);  // never a plaintext fallback
  EXPECT_TRUE(loopback.sink.messages.empty());
}

}  // namespace
}  // namespace mailpipe::mta

namespace mailpipe::mta {
namespace {

// A self-signed certificate made for the test with the openssl CLI.
class TlsPeer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = "/tmp/mailpipe-client-tls-" + std::to_string(::getpid());
    const std::string command = "mkdir -p " + dir_ +
                                " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=mx.remote.test"
                                " -keyout " + dir_ + "/key.pem -out " + dir_ + "/cert.pem 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0);
  }
  static void TearDownTestSuite() { std::system(("rm -rf " + dir_).c_str()); }

  // Runs one delivery against a STARTTLS-offering server; returns the attempt.
  HostAttempt deliver(v1::TlsPolicy policy, const std::string& ca_file, Sink& sink, bool& server_saw_tls) {
    asio::io_context io;
    v1::TlsConfig tls_config;
    tls_config.set_cert_file(dir_ + "/cert.pem");
    tls_config.set_key_file(dir_ + "/key.pem");
    asio::ssl::context server_tls = tls::make_server_context(tls_config);
    TlsRecordingSink recording(sink, server_saw_tls);
    const LoopbackServer server(io, recording, "mx.remote.test", &server_tls);
    Client c(io);
    c.verify.set_verify_mode(asio::ssl::verify_peer);
    if (!ca_file.empty()) c.verify.load_verify_file(ca_file);
    static const std::string body = "Subject: tls\r\n\r\nsecret\r\n";
    OutboundMessage message{"QID12345", {}, {"ok@remote.test"}, &body};
    return deliver_once(io, c.client, server.port(), "mx.remote.test", policy, message);
  }

  class TlsRecordingSink final : public smtp::MessageSink {
   public:
    TlsRecordingSink(Sink& inner, bool& saw_tls) : inner_(inner), saw_tls_(saw_tls) {}
    asio::awaitable<smtp::Reply> accept(const smtp::SessionInfo& session, const smtp::Transaction& transaction,
                                        std::string message) override {
      saw_tls_ = session.tls;
      co_return co_await inner_.accept(session, transaction, std::move(message));
    }

   private:
    Sink& inner_;
    bool& saw_tls_;
  };

  static std::string dir_;
};
std::string TlsPeer::dir_;

TEST_F(TlsPeer, OpportunisticTlsIsUsedWhenOffered) {
  Sink sink;
  bool saw_tls = false;
  const HostAttempt attempt = deliver(v1::TLS_MAY, "", sink, saw_tls);
  ASSERT_FALSE(attempt.try_next_host) << attempt.error;
  EXPECT_EQ(attempt.results.at("ok@remote.test").outcome(), v1::DELIVERED);
  EXPECT_TRUE(saw_tls);
}

TEST_F(TlsPeer, VerifyPolicyRejectsAnUntrustedCertificateWithoutFallback) {
  Sink sink;
  bool saw_tls = false;
  const HostAttempt attempt = deliver(v1::TLS_VERIFY, "", sink, saw_tls);  // nothing trusts it
  EXPECT_TRUE(attempt.try_next_host);
  EXPECT_NE(attempt.error.find("TLS handshake failed"), std::string::npos) << attempt.error;
  EXPECT_TRUE(sink.messages.empty());
}

TEST_F(TlsPeer, VerifyPolicyAcceptsACertificateFromTheCaFile) {
  Sink sink;
  bool saw_tls = false;
  const HostAttempt attempt = deliver(v1::TLS_VERIFY, dir_ + "/cert.pem", sink, saw_tls);
  ASSERT_FALSE(attempt.try_next_host) << attempt.error;
  EXPECT_TRUE(saw_tls);
  EXPECT_EQ(sink.messages.size(), 1u);
}

}  // namespace
}  // namespace mailpipe::mta
