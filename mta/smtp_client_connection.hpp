#pragma once
// The wire side of the outbound SMTP client: one TCP connection to a remote
// MX that may be upgraded with STARTTLS (RFC 3207), reading multi-line
// replies (RFC 5321 4.2) with a bound on their size, every step bounded by
// a deadline. Errors are values: a failed step returns a Reply with code 0
// and the reason in its text.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <string>

#include "common/smtp/reply.hpp"

namespace mailpipe::mta {

class SmtpClientConnection final {
 public:
  explicit SmtpClientConnection(asio::io_context& io);
  ~SmtpClientConnection();

  // False with `error` set when the connection cannot be made in time.
  asio::awaitable<bool> connect(asio::ip::tcp::endpoint endpoint, std::chrono::milliseconds timeout,
                                std::string& error);
  // The next reply. code 0: no valid reply in time (text says why).
  asio::awaitable<smtp::Reply> read_reply(std::chrono::milliseconds timeout);
  asio::awaitable<bool> write(std::string_view bytes, std::chrono::milliseconds timeout);
  // TLS client handshake; `verify_name` non-empty checks the certificate
  // against it (the context must then verify peers).
  asio::awaitable<bool> start_tls(asio::ssl::context& context, const std::string& server_name,
                                  bool verify_name, std::chrono::milliseconds timeout, std::string& error);
  bool tls_active() const { return tls_; }
  std::string tls_description() const;
  void close();

 private:
  void arm(std::chrono::milliseconds timeout);
  void disarm();

  asio::io_context& io_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_stream_;
  asio::steady_timer deadline_;
  bool timed_out_ = false;
  bool tls_ = false;
  std::string buffer_;
};

}  // namespace mailpipe::mta
