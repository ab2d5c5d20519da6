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

  bool tls_available() const { return tls_context_ != nullptr; }
  bool tls_active() const { return tls_; }
  tls::SessionInfo tls_info() { return tls::describe(tls_ ? stream_.native_handle() : nullptr); }
  const std::string& peer_address() const { return peer_address_; }

  // Errors come back in `ec`; end of stream is asio::error::eof.
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer, asio::error_code& ec);
  asio::awaitable<void> write_all(std::string_view bytes, asio::error_code& ec);
  asio::awaitable<void> handshake(asio::error_code& ec);
  void close();

 private:
  std::shared_ptr<asio::ssl::context> tls_context_;
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  bool tls_ = false;
  std::string peer_address_;
};

}  // namespace mailpipe::smtp
