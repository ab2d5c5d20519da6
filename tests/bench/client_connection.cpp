#include "tests/bench/client_connection.hpp"

#include <netinet/in.h>

#include <stdexcept>

namespace mailpipe::bench {
namespace {

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24  // Linux 4.2
#endif

}  // namespace

ClientConnection::ClientConnection(asio::io_context& io, asio::ssl::context& tls)
    : stream_(io, tls), watchdog_(io) {}

asio::awaitable<void> ClientConnection::connect(const asio::ip::address& source,
                                                const asio::ip::tcp::endpoint& server) {
  auto& socket = stream_.next_layer();
  socket.open(server.protocol());
  const int on = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
  socket.bind(asio::ip::tcp::endpoint(source, 0));
  arm_watchdog();
  co_await socket.async_connect(server, asio::use_awaitable);
  watchdog_.cancel();
  socket.set_option(asio::ip::tcp::no_delay(true));
}

asio::awaitable<void> ClientConnection::handshake() {
  arm_watchdog();
  co_await stream_.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
  watchdog_.cancel();
  tls_active_ = true;
  buffer_.clear();  // RFC 3207 4.2: nothing read before TLS counts after it
  consumed_ = 0;
}

asio::awaitable<void> ClientConnection::write(std::string_view text) {
  co_await write_buffers(asio::buffer(text.data(), text.size()));
}

asio::awaitable<std::size_t> ClientConnection::read_some() {
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  const std::size_t old = buffer_.size();
  buffer_.resize(old + 4096);
  std::size_t n = 0;
  try {
    if (tls_active_) {
      n = co_await stream_.async_read_some(asio::buffer(buffer_.data() + old, 4096), asio::use_awaitable);
    } else {
      n = co_await stream_.next_layer().async_read_some(asio::buffer(buffer_.data() + old, 4096),
                                                        asio::use_awaitable);
    }
  } catch (...) {
    buffer_.resize(old);
    throw;
  }
  buffer_.resize(old + n);
  co_return n;
}

asio::awaitable<SmtpReply> ClientConnection::read_reply() {
  SmtpReply reply;
  arm_watchdog();
  for (;;) {
    const auto end = buffer_.find("\r\n", consumed_);
    if (end == std::string::npos) {
      co_await read_some();
      continue;
    }
    const std::string_view line(buffer_.data() + consumed_, end - consumed_);
    consumed_ = end + 2;
    if (line.size() < 3) throw std::runtime_error("short reply line: " + std::string(line));
    if (!reply.text.empty()) reply.text += "\r\n";
    reply.text += line;
    if (line.size() == 3 || line[3] == ' ') {
      reply.code = std::stoi(std::string(line.substr(0, 3)));
      watchdog_.cancel();
      co_return reply;
    }
  }
}

asio::awaitable<void> ClientConnection::wait_closed() {
  watchdog_.cancel();
  for (;;) co_await read_some();  // throws at EOF or error
}

void ClientConnection::arm_watchdog() {
  watchdog_.expires_after(reply_timeout_);
  watchdog_.async_wait([this](const asio::error_code& ec) {
    if (!ec) close();  // the pending read or connect fails
  });
}

void ClientConnection::close() {
  asio::error_code ignored;
  stream_.next_layer().close(ignored);
}

}  // namespace mailpipe::bench
