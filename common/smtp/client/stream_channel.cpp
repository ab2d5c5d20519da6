#include "common/smtp/client/stream_channel.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include "common/smtp/client/tls_client.hpp"

namespace mailpipe::smtp::client {
namespace {

// A write is bounded per chunk: the timeout is for a stalled server, not
// for a large message on a slow line. Between chunks the channel looks
// for a reply the server should not have sent yet.
constexpr std::size_t write_chunk = 64 * 1024;

}  // namespace

StreamChannel::StreamChannel(asio::any_io_executor executor) : socket_(executor), deadline_(executor) {}

StreamChannel::~StreamChannel() { close(); }

void StreamChannel::close() {
  deadline_.cancel();
  asio::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
}

void StreamChannel::fail(ChannelFailure kind, std::string text) {
  if (error_.kind == ChannelFailure::none) error_ = ChannelError{kind, std::move(text)};
}

void StreamChannel::arm(Timeout timeout) {
  timed_out_ = false;
  auto expiry = Clock::now() + timeout;
  if (session_deadline_ && *session_deadline_ < expiry) expiry = *session_deadline_;
  deadline_.expires_at(expiry);
  deadline_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    timed_out_ = true;
    asio::error_code ignored;
    socket_.cancel(ignored);
  });
}

void StreamChannel::lost(const asio::error_code& ec, std::string_view during) {
  if (timed_out_) {
    fail(ChannelFailure::timeout, "timed out " + std::string(during));
  } else if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    fail(ChannelFailure::closed, "connection closed by the server " + std::string(during));
  } else {
    fail(ChannelFailure::closed, "connection lost " + std::string(during) + ": " + ec.message());
  }
}

asio::awaitable<bool> StreamChannel::connect(const Endpoint& endpoint, Timeout timeout) {
  close();
  error_ = ChannelError{};
  parser_ = ReplyParser{};
  tls_stream_.reset();
  tls_ = false;
  asio::error_code ec;
  arm(timeout);
  co_await socket_.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (ec || timed_out_) {
    fail(ChannelFailure::unreachable, timed_out_ ? "timed out" : ec.message());
    co_return false;
  }
  co_return true;
}

asio::awaitable<std::size_t> StreamChannel::read_some(asio::mutable_buffer buffer, asio::error_code& ec) {
  // Named results, no `co_return co_await`: GCC 12 miscompiled that form
  // (a frame resumed at a bad suspension point, SIGILL).
  std::size_t n = 0;
  if (tls_) {
    n = co_await tls_stream_->async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    n = co_await socket_.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return n;
}

asio::awaitable<void> StreamChannel::write_all(std::string_view bytes, asio::error_code& ec) {
  if (tls_) {
    co_await asio::async_write(*tls_stream_, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<std::optional<Reply>> StreamChannel::read_reply(Timeout timeout) {
  if (error_.kind != ChannelFailure::none) co_return std::nullopt;
  arm(timeout);
  while (true) {
    ReplyStep step = parser_.next();
    if (Reply* reply = std::get_if<Reply>(&step)) {
      disarm();
      raw_bytes_are_input_ = true;
      co_return std::move(*reply);
    }
    if (const ReplyError* bad = std::get_if<ReplyError>(&step)) {
      disarm();
      fail(ChannelFailure::protocol, bad->text);
      co_return std::nullopt;
    }
    char chunk[4096];
    asio::error_code ec;
    const std::size_t n = co_await read_some(asio::buffer(chunk), ec);
    if (ec || timed_out_) {
      disarm();
      lost(ec, "waiting for a reply");
      co_return std::nullopt;
    }
    parser_.feed(std::string_view(chunk, n));
  }
}

asio::awaitable<bool> StreamChannel::write(std::string_view bytes, Timeout timeout) {
  if (error_.kind != ChannelFailure::none) co_return false;
  asio::error_code ec;
  arm(timeout);
  co_await write_all(bytes, ec);
  disarm();
  if (ec || timed_out_) {
    lost(ec, "sending a command");
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> StreamChannel::write_data(std::string_view bytes, Timeout timeout) {
  for (std::size_t pos = 0; pos < bytes.size(); pos += write_chunk) {
    if (error_.kind != ChannelFailure::none) co_return false;
    if (unasked_input()) {
      fail(ChannelFailure::protocol, "the server replied before the end of the message (after " +
                                         std::to_string(pos) + " octets)");
      co_return false;
    }
    asio::error_code ec;
    arm(timeout);
    co_await write_all(bytes.substr(pos, write_chunk), ec);
    disarm();
    if (ec || timed_out_) {
      lost(ec, "sending the message");
      co_return false;
    }
  }
  co_return true;
}

asio::awaitable<bool> StreamChannel::start_tls(asio::ssl::context& context, const std::string& server_name,
                                               bool verify, Timeout timeout) {
  if (error_.kind != ChannelFailure::none) co_return false;
  // RFC 3207 4.2, CVE-2011-0411: what came before the handshake is no
  // answer to anything after it.
  if (unasked_input()) {
    fail(ChannelFailure::protocol, "the server sent data after its 220 to STARTTLS, before the TLS handshake");
    co_return false;
  }
  parser_.clear();
  tls_stream_ = std::make_unique<asio::ssl::stream<asio::generic::stream_protocol::socket&>>(socket_, context);
  SSL* ssl = tls_stream_->native_handle();
  expect_server_name(ssl, server_name, verify);
  asio::error_code ec;
  arm(timeout);
  co_await tls_stream_->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (ec || timed_out_) {
    std::string why = "TLS handshake failed with " + server_name + ": " + (timed_out_ ? "timed out" : ec.message());
    if (const std::string problem = verify ? verification_problem(ssl) : ""; !problem.empty()) {
      why += " (" + problem + ")";
    }
    fail(ChannelFailure::tls, why);
    co_return false;
  }
  tls_ = true;
  raw_bytes_are_input_ = false;
  co_return true;
}

bool StreamChannel::unasked_input() {
  if (parser_.has_buffered()) return true;
  if (tls_ && SSL_pending(tls_stream_->native_handle()) > 0) return true;
  if (!socket_.is_open()) return true;
  if (!raw_bytes_are_input_) return false;
  char byte;
  const ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return true;                                          // bytes nobody asked for
  if (n == 0) return true;                                         // closed: no answer will come
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;  // broken
}

std::string StreamChannel::tls_description() const {
  if (!tls_) return "none";
  SSL* ssl = const_cast<asio::ssl::stream<asio::generic::stream_protocol::socket&>&>(*tls_stream_).native_handle();
  return std::string(SSL_get_version(ssl)) + ":" + SSL_get_cipher_name(ssl);
}

std::string StreamChannel::local_address_literal() const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(const_cast<asio::generic::stream_protocol::socket&>(socket_).native_handle(),
                    reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return "[127.0.0.1]";
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof text);
    return "[" + std::string(text) + "]";
  }
  if (address.ss_family == AF_INET6) {
    const in6_addr& v6 = reinterpret_cast<sockaddr_in6*>(&address)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      ::inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof text);
      return "[" + std::string(text) + "]";
    }
    ::inet_ntop(AF_INET6, &v6, text, sizeof text);
    return "[IPv6:" + std::string(text) + "]";
  }
  return "[127.0.0.1]";
}

}  // namespace mailpipe::smtp::client
