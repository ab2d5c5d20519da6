#include "mda/lmtp_connection.hpp"

#include <sys/un.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <charconv>

#include "common/smtp/client_text.hpp"

namespace mailpipe::mda {
namespace {

using namespace asio::experimental::awaitable_operators;
constexpr auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);

asio::awaitable<void> expiry(asio::steady_timer& timer) {
  asio::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

bool reply_line_ok(std::string_view line) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && digit(line[1]) && digit(line[2]) &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '-');
}

}  // namespace

std::optional<asio::generic::stream_protocol::endpoint> parse_lmtp_server(std::string_view text, std::string& problem) {
  if (text.starts_with("unix:")) {
    const std::string_view path = text.substr(5);
    if (!path.starts_with('/')) {
      problem = "a UNIX socket needs an absolute path: \"unix:/run/dovecot/lmtp\"";
      return std::nullopt;
    }
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
      problem = "UNIX socket path longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes";
      return std::nullopt;
    }
    return asio::generic::stream_protocol::endpoint(asio::local::stream_protocol::endpoint(std::string(path)));
  }
  std::string_view host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const std::size_t close = text.find("]:");
    if (close == std::string_view::npos) {
      problem = "an IPv6 server is written \"[::1]:24\"";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      problem = "expected \"unix:/path\", \"127.0.0.1:24\" or \"[::1]:24\"";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    problem = "port must be a number from 1 to 65535";
    return std::nullopt;
  }
  asio::error_code address_error;
  const asio::ip::address address = asio::ip::make_address(std::string(host), address_error);
  if (address_error) {
    problem = "\"" + std::string(host) + "\" is not a numeric IP address (no DNS for LMTP servers)";
    return std::nullopt;
  }
  return asio::generic::stream_protocol::endpoint(asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port)));
}

LmtpConnection::LmtpConnection(asio::any_io_executor executor, std::chrono::milliseconds timeout)
    : socket_(executor), deadline_(executor, timeout) {}

LmtpConnection::~LmtpConnection() { close(); }

void LmtpConnection::close() {
  asio::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
}

void LmtpConnection::shorten_deadline(std::chrono::milliseconds at_most) {
  const auto sooner = std::chrono::steady_clock::now() + at_most;
  if (sooner < deadline_.expiry()) deadline_.expires_at(sooner);
}

asio::awaitable<std::string> LmtpConnection::connect(const asio::generic::stream_protocol::endpoint& endpoint) {
  auto outcome = co_await (socket_.async_connect(endpoint, as_tuple) || expiry(deadline_));
  if (outcome.index() == 1) {
    timed_out_ = true;
    co_return "connect timed out";
  }
  const auto [ec] = std::get<0>(outcome);
  if (ec) co_return "connect: " + ec.message();
  co_return "";
}

asio::awaitable<bool> LmtpConnection::write(std::string_view bytes) {
  auto outcome = co_await (asio::async_write(socket_, asio::buffer(bytes), as_tuple) || expiry(deadline_));
  if (outcome.index() == 1) {
    timed_out_ = true;
    co_return false;
  }
  co_return !std::get<0>(std::get<0>(outcome));
}

asio::awaitable<smtp::Reply> LmtpConnection::read_reply() {
  smtp::Reply reply;
  std::string text;
  for (int lines = 0; lines < max_reply_lines;) {
    const std::size_t end = buffer_.find("\r\n");
    if (end == std::string::npos) {
      if (buffer_.size() > max_reply_line) co_return smtp::Reply{0, "", "reply line too long"};
      char chunk[4096];
      auto outcome = co_await (socket_.async_read_some(asio::buffer(chunk), as_tuple) || expiry(deadline_));
      if (outcome.index() == 1) {
        timed_out_ = true;
        co_return smtp::Reply{0, "", "timed out waiting for a reply"};
      }
      const auto [ec, n] = std::get<0>(outcome);
      if (ec) co_return smtp::Reply{0, "", ec == asio::error::eof ? "connection closed" : "connection lost: " + ec.message()};
      buffer_.append(chunk, n);
      continue;
    }
    if (end > max_reply_line) co_return smtp::Reply{0, "", "reply line too long"};
    const std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    ++lines;
    if (!reply_line_ok(line)) co_return smtp::Reply{0, "", "malformed reply line"};
    const int code = std::stoi(line.substr(0, 3));
    if (reply.code != 0 && code != reply.code) co_return smtp::Reply{0, "", "inconsistent multi-line reply"};
    reply.code = code;
    if (lines > 1) text += '\n';
    text += line.size() > 4 ? line.substr(4) : "";
    if (line.size() == 3 || line[3] == ' ') {
      reply.text = text;
      smtp::split_enhanced(reply);
      co_return reply;
    }
  }
  co_return smtp::Reply{0, "", "reply of more than " + std::to_string(max_reply_lines) + " lines"};
}

}  // namespace mailpipe::mda
