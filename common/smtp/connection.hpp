#pragma once
// One client connection: a TCP socket that may be upgraded to TLS in place
// (STARTTLS, RFC 3207) or start in TLS (RFC 8314). The session reads and
// writes through it without caring which.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <memory>
#include <string>

#include "common/tls/server_context.hpp"

namespace mailpipe::smtp {

class Connection final {
 public:
  // `tls_context` may be null (no TLS); shared so that a reload (SIGHUP)
  // can bring a new certificate while this connection keeps its own.
  Connection(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls_context);
  // Movable only before the handshake: the TLS stream refers to socket_.
  Connection(Connection&& other) noexcept
      : tls_context_(std::move(other.tls_context_)), socket_(std::move(other.socket_)),
        peer_address_(std::move(other.peer_address_)) {}
  Connection& operator=(Connection&&) = delete;

  bool tls_available() const { return tls_context_ != nullptr; }
  bool tls_active() const { return tls_; }
  tls::SessionInfo tls_info() { return tls::describe(tls_ ? tls_stream_->native_handle() : nullptr); }
  const std::string& peer_address() const { return peer_address_; }

  // Errors come back in `ec`; end of stream is asio::error::eof.
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer, asio::error_code& ec);
  asio::awaitable<void> write_all(std::string_view bytes, asio::error_code& ec);
  asio::awaitable<void> handshake(asio::error_code& ec);
  void close();

 private:
  std::shared_ptr<asio::ssl::context> tls_context_;
  asio::ip::tcp::socket socket_;
  // Made at the handshake: an idle or plaintext session does not carry
  // OpenSSL's state and the stream's two 17 KB record buffers (10,000 idle
  // sessions would hold 400 MB of them).
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_stream_;
  bool tls_ = false;
  std::string peer_address_;
};

}  // namespace mailpipe::smtp
