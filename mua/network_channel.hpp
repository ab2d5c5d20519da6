#pragma once
// The connection to the submission server: TCP to each address the name
// resolves to in turn, TLS from the start (RFC 8314 implicit TLS) or after
// STARTTLS (RFC 3207), replies read with bounds on their size (RFC 5321
// 4.2, 4.5.3.1.5). Every step (resolving, connecting, the handshake, each
// reply, each 64 KiB written) must finish within the step timeout, so a
// dead or stalled server ends the run instead of hanging it.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "mua/server_address.hpp"
#include "mua/smtp_channel.hpp"

namespace mailpipe::mua {

class NetworkChannel final : public SmtpChannel {
 public:
  NetworkChannel(asio::io_context& io, asio::ssl::context& tls, bool verify, std::chrono::milliseconds step_timeout);
  ~NetworkChannel() override;

  // False with `error` set ("cannot connect to localhost:2587: Connection
  // refused") when no address answers; with implicit_tls the handshake
  // is part of connecting.
  asio::awaitable<bool> connect(const ServerAddress& server, bool implicit_tls, std::string& error);

  asio::awaitable<smtp::Reply> read_reply() override;
  asio::awaitable<bool> write(std::string_view bytes) override;
  asio::awaitable<bool> start_tls() override;
  bool tls_active() const override { return tls_; }
  std::string last_error() const override { return last_error_; }

  // For EHLO when the host has no usable name: "[192.0.2.1]" or "[IPv6:...]" (RFC 5321 4.1.3).
  std::string local_address_literal() const;
  void close();

 private:
  asio::awaitable<bool> handshake();
  void arm();
  void disarm();

  asio::io_context& io_;
  asio::ssl::context& tls_context_;
  bool verify_;
  std::chrono::milliseconds step_timeout_;
  asio::ip::tcp::socket socket_;
  asio::ip::tcp::resolver resolver_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_stream_;
  asio::steady_timer deadline_;
  std::string host_;
  bool timed_out_ = false;
  bool tls_ = false;
  std::string buffer_;
  std::string last_error_;
};

}  // namespace mailpipe::mua
