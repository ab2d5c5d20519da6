#include "common/smtp/connection.hpp"

namespace mailpipe::smtp {
namespace {

// The stream needs a context even when TLS is never offered; this one is
// never used for a handshake.
asio::ssl::context& unused_context() {
  static asio::ssl::context context(asio::ssl::context::tls_server);
  return context;
}

std::string address_of(const asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls_context)
    : tls_context_(std::move(tls_context)),
      stream_(std::move(socket), tls_context_ ? *tls_context_ : unused_context()),
      peer_address_(address_of(stream_.next_layer())) {}

asio::awaitable<std::size_t> Connection::read_some(asio::mutable_buffer buffer, asio::error_code& ec) {
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  if (tls_) co_return co_await stream_.async_read_some(buffer, token);
  co_return co_await stream_.next_layer().async_read_some(buffer, token);
}

asio::awaitable<void> Connection::write_all(std::string_view bytes, asio::error_code& ec) {
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  if (tls_) {
    co_await asio::async_write(stream_, asio::buffer(bytes), token);
  } else {
    co_await asio::async_write(stream_.next_layer(), asio::buffer(bytes), token);
  }
}

asio::awaitable<void> Connection::handshake(asio::error_code& ec) {
  if (!tls_context_) {
    ec = asio::error::operation_not_supported;
    co_return;
  }
  co_await stream_.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) tls_ = true;
}

void Connection::close() {
  asio::error_code ignored;
  stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.next_layer().close(ignored);
}

}  // namespace mailpipe::smtp
