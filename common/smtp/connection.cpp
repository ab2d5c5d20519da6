#include "common/smtp/connection.hpp"

namespace mailpipe::smtp {
namespace {

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
    : tls_context_(std::move(tls_context)), socket_(std::move(socket)), peer_address_(address_of(socket_)) {}

asio::awaitable<std::size_t> Connection::read_some(asio::mutable_buffer buffer, asio::error_code& ec) {
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  std::size_t n = 0;
  if (tls_) {
    n = co_await tls_stream_->async_read_some(buffer, token);
  } else {
    n = co_await socket_.async_read_some(buffer, token);
  }
  co_return n;
}

asio::awaitable<void> Connection::write_all(std::string_view bytes, asio::error_code& ec) {
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  if (tls_) {
    co_await asio::async_write(*tls_stream_, asio::buffer(bytes), token);
  } else {
    co_await asio::async_write(socket_, asio::buffer(bytes), token);
  }
}

asio::awaitable<void> Connection::handshake(asio::error_code& ec) {
  if (!tls_context_) {
    ec = asio::error::operation_not_supported;
    co_return;
  }
  if (!tls_stream_) tls_stream_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
  co_await tls_stream_->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) tls_ = true;
}

void Connection::close() {
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace mailpipe::smtp
