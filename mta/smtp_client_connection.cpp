#include "mta/smtp_client_connection.hpp"

#include <openssl/ssl.h>

#include "common/smtp/client_text.hpp"

namespace mailpipe::mta {
namespace {

// RFC 5321 4.5.3.1.5 allows 512 octets per reply line; be generous with
// real servers but never unbounded.
constexpr std::size_t max_reply_line = 4096;
constexpr int max_reply_lines = 100;


}  // namespace

SmtpClientConnection::SmtpClientConnection(asio::io_context& io) : io_(io), socket_(io), deadline_(io) {}

SmtpClientConnection::~SmtpClientConnection() { close(); }

void SmtpClientConnection::arm(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  deadline_.expires_after(timeout);
  deadline_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    timed_out_ = true;
    asio::error_code ignored;
    socket_.cancel(ignored);
  });
}

void SmtpClientConnection::disarm() { deadline_.cancel(); }

void SmtpClientConnection::close() {
  deadline_.cancel();
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

asio::awaitable<bool> SmtpClientConnection::connect(asio::ip::tcp::endpoint endpoint,
                                                    std::chrono::milliseconds timeout, std::string& error) {
  asio::error_code ec;
  arm(timeout);
  co_await socket_.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (timed_out_) {
    error = "connect to " + endpoint.address().to_string() + " timed out";
    co_return false;
  }
  if (ec) {
    error = "connect to " + endpoint.address().to_string() + ": " + ec.message();
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> SmtpClientConnection::write(std::string_view bytes, std::chrono::milliseconds timeout) {
  asio::error_code ec;
  arm(timeout);
  if (tls_) {
    co_await asio::async_write(*tls_stream_, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
  }
  disarm();
  co_return !ec && !timed_out_;
}

asio::awaitable<smtp::Reply> SmtpClientConnection::read_reply(std::chrono::milliseconds timeout) {
  smtp::Reply reply;
  std::string text;
  arm(timeout);
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
        co_return smtp::Reply{0, "", timed_out_ ? "timeout waiting for a reply" : "connection lost: " + ec.message()};
      }
      buffer_.append(chunk, n);
      continue;
    }
    const std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    ++lines;
    if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' ||
        line[2] > '9' || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
      disarm();
      co_return smtp::Reply{0, "", "malformed reply line from server"};
    }
    const int code = std::stoi(line.substr(0, 3));
    if (reply.code != 0 && code != reply.code) {
      disarm();
      co_return smtp::Reply{0, "", "inconsistent multi-line reply"};
    }
    reply.code = code;
    if (!text.empty()) text += '\n';
    text += line.size() > 4 ? line.substr(4) : "";
    if (line.size() == 3 || line[3] == ' ') {
      disarm();
      reply.text = text;
      // Keep the enhanced code of the first line; later lines keep theirs in the text.
      smtp::split_enhanced(reply);
      co_return reply;
    }
  }
  disarm();
  co_return smtp::Reply{0, "", "reply too long"};
}

asio::awaitable<bool> SmtpClientConnection::start_tls(asio::ssl::context& context, const std::string& server_name,
                                                      bool verify_name, std::chrono::milliseconds timeout,
                                                      std::string& error) {
  buffer_.clear();  // nothing the server sent before TLS may count after it
  tls_stream_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, context);
  SSL* ssl = tls_stream_->native_handle();
  SSL_set_tlsext_host_name(ssl, server_name.c_str());
  if (verify_name) {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl, server_name.c_str());
    tls_stream_->set_verify_mode(asio::ssl::verify_peer);
  }
  asio::error_code ec;
  arm(timeout);
  co_await tls_stream_->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  disarm();
  if (ec || timed_out_) {
    error = timed_out_ ? "TLS handshake timed out" : "TLS handshake failed: " + ec.message();
    if (verify_name) {
      const long result = SSL_get_verify_result(ssl);
      if (result != X509_V_OK) error += " (" + std::string(X509_verify_cert_error_string(result)) + ")";
    }
    co_return false;
  }
  tls_ = true;
  co_return true;
}

std::string SmtpClientConnection::tls_description() const {
  if (!tls_) return "none";
  SSL* ssl = const_cast<asio::ssl::stream<asio::ip::tcp::socket&>&>(*tls_stream_).native_handle();
  return std::string(SSL_get_version(ssl)) + ":" + SSL_get_cipher_name(ssl);
}

}  // namespace mailpipe::mta
