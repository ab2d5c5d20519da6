#include "mua/network_channel.hpp"

#include <openssl/ssl.h>

#include "common/smtp/client_text.hpp"
#include "mua/tls_client.hpp"

namespace mailpipe::mua {
namespace {

// RFC 5321 4.5.3.1.5 allows 512 octets per reply line; be generous with
// real servers but never unbounded.
constexpr std::size_t max_reply_line = 4096;
constexpr int max_reply_lines = 100;
// A write is bounded per chunk: the timeout is for a stalled server, not
// for a large attachment on a slow line.
constexpr std::size_t write_chunk = 64 * 1024;


bool valid_reply_line(const std::string& line) {
  return line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && line[1] >= '0' && line[1] <= '9' &&
         line[2] >= '0' && line[2] <= '9' && (line.size() == 3 || line[3] == ' ' || line[3] == '-');
}

}  // namespace

NetworkChannel::NetworkChannel(asio::io_context& io, asio::ssl::context& tls, bool verify,
                               std::chrono::milliseconds step_timeout)
    : io_(io),
      tls_context_(tls),
      verify_(verify),
      step_timeout_(step_timeout),
      socket_(io),
      resolver_(io),
      deadline_(io) {}

NetworkChannel::~NetworkChannel() { close(); }

void NetworkChannel::arm() {
  timed_out_ = false;
  deadline_.expires_after(step_timeout_);
  deadline_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    timed_out_ = true;
    resolver_.cancel();
    asio::error_code ignored;
    socket_.cancel(ignored);
  });
}

void NetworkChannel::disarm() { deadline_.cancel(); }

void NetworkChannel::close() {
  deadline_.cancel();
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

asio::awaitable<bool> NetworkChannel::connect(const ServerAddress& server, bool implicit_tls, std::string& error) {
  host_ = server.host;
  asio::error_code ec;
  arm();
  const auto endpoints = co_await resolver_.async_resolve(server.host, std::to_string(server.port),
                                                          asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (ec || endpoints.empty()) {
    error = "cannot resolve " + server.host + ": " + (timed_out_ ? "timed out" : ec.message());
    co_return false;
  }
  std::string why;
  for (const auto& entry : endpoints) {
    asio::error_code ignored;
    socket_.close(ignored);
    arm();
    co_await socket_.async_connect(entry.endpoint(), asio::redirect_error(asio::use_awaitable, ec));
    disarm();
    if (!ec && !timed_out_) {
      if (!implicit_tls) co_return true;
      const bool secured = co_await handshake();
      if (secured) co_return true;
      error = last_error_;
      // The usual cause: a STARTTLS port greets in plaintext, which is no TLS record.
      if (last_error_.find("wrong version number") != std::string::npos) {
        error += " (if this is a STARTTLS port such as 587, leave out --tls)";
      }
      co_return false;
    }
    why = timed_out_ ? "timed out" : ec.message();
  }
  error = "cannot connect to " + server.str() + ": " + why;
  co_return false;
}

asio::awaitable<bool> NetworkChannel::handshake() {
  buffer_.clear();  // nothing the server sent before TLS may count after it
  tls_stream_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, tls_context_);
  SSL* ssl = tls_stream_->native_handle();
  expect_server_name(ssl, host_, verify_);
  asio::error_code ec;
  arm();
  co_await tls_stream_->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (ec || timed_out_) {
    last_error_ = "TLS handshake with " + host_ + " failed: " + (timed_out_ ? "timed out" : ec.message());
    if (const std::string problem = verify_ ? verification_problem(ssl) : ""; !problem.empty()) {
      last_error_ += " (" + problem + "; --ca-file FILE trusts a private CA)";
    }
    co_return false;
  }
  tls_ = true;
  co_return true;
}

asio::awaitable<bool> NetworkChannel::start_tls() {
  const bool secured = co_await handshake();
  co_return secured;
}

asio::awaitable<bool> NetworkChannel::write(std::string_view bytes) {
  for (std::size_t pos = 0; pos < bytes.size(); pos += write_chunk) {
    const std::string_view chunk = bytes.substr(pos, write_chunk);
    asio::error_code ec;
    arm();
    if (tls_) {
      co_await asio::async_write(*tls_stream_, asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_write(socket_, asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    }
    disarm();
    if (ec || timed_out_) {
      last_error_ = timed_out_ ? "the server stopped reading (timed out)" : "connection lost: " + ec.message();
      co_return false;
    }
  }
  co_return true;
}

asio::awaitable<smtp::Reply> NetworkChannel::read_reply() {
  smtp::Reply reply;
  std::string text;
  arm();
  for (int lines = 0; lines < max_reply_lines;) {
    const std::size_t end = buffer_.find("\r\n");
    if (end == std::string::npos) {
      if (buffer_.size() > max_reply_line) break;
      char chunk[4096];
      asio::error_code ec;
      std::size_t n = 0;
      if (tls_) {
        n = co_await tls_stream_->async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      } else {
        n = co_await socket_.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec) {
        disarm();
        co_return smtp::Reply{0, "", timed_out_ ? "no reply in time" : "connection lost: " + ec.message()};
      }
      buffer_.append(chunk, n);
      continue;
    }
    const std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    ++lines;
    if (!valid_reply_line(line)) {
      disarm();
      co_return smtp::Reply{0, "", "the server's reply is not SMTP"};
    }
    const int code = std::stoi(line.substr(0, 3));
    if (reply.code != 0 && code != reply.code) {
      disarm();
      co_return smtp::Reply{0, "", "the server's multi-line reply changes its code"};
    }
    reply.code = code;
    if (!text.empty()) text += '\n';
    text += line.size() > 4 ? line.substr(4) : "";
    if (line.size() == 3 || line[3] == ' ') {
      disarm();
      reply.text = text;
      smtp::split_enhanced(reply);
      co_return reply;
    }
  }
  disarm();
  co_return smtp::Reply{0, "", "the server's reply is too long"};
}

std::string NetworkChannel::local_address_literal() const {
  asio::error_code ec;
  const auto endpoint = socket_.local_endpoint(ec);
  if (ec) return "[127.0.0.1]";
  const asio::ip::address address = endpoint.address();
  if (address.is_v6()) {
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) return "[" + asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string() + "]";
    return "[IPv6:" + v6.to_string() + "]";
  }
  return "[" + address.to_string() + "]";
}

}  // namespace mailpipe::mua
