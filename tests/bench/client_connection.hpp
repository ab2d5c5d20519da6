#pragma once
// One SMTP client connection of the load generator: plain TCP that can be
// upgraded to TLS (STARTTLS) or is TLS from the start. The server's
// certificate is NOT verified: this is a benchmark on loopback against a
// self-signed test certificate, not a mail client.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <string>

namespace mailpipe::bench {

struct SmtpReply {
  int code = 0;
  std::string text;  // every line, CRLF-joined, for error messages
  bool positive() const { return code >= 200 && code < 400; }
};

class ClientConnection final {
 public:
  ClientConnection(asio::io_context& io, asio::ssl::context& tls);

  // Binds to `source` (port chosen at connect: IP_BIND_ADDRESS_NO_PORT, so
  // many connections from one address share the ephemeral range per
  // destination) and connects.
  asio::awaitable<void> connect(const asio::ip::address& source, const asio::ip::tcp::endpoint& server);
  asio::awaitable<void> handshake();  // TLS client handshake on the connected socket
  asio::awaitable<void> write(std::string_view text);
  template <class Buffers>
  asio::awaitable<void> write_buffers(const Buffers& buffers) {
    if (tls_active_) {
      co_await asio::async_write(stream_, buffers, asio::use_awaitable);
    } else {
      co_await asio::async_write(stream_.next_layer(), buffers, asio::use_awaitable);
    }
  }
  // One (possibly multi-line) reply; throws on EOF, error or after the
  // deadline set by set_reply_timeout.
  asio::awaitable<SmtpReply> read_reply();
  // Waits until the server closes the connection (idle mode).
  asio::awaitable<void> wait_closed();
  void set_reply_timeout(std::chrono::milliseconds timeout) { reply_timeout_ = timeout; }
  void close();

 private:
  asio::awaitable<std::size_t> read_some();
  void arm_watchdog();

  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  asio::steady_timer watchdog_;
  std::chrono::milliseconds reply_timeout_{60000};
  std::string buffer_;
  std::size_t consumed_ = 0;
  bool tls_active_ = false;
};

}  // namespace mailpipe::bench
