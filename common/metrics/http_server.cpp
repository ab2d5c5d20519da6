#include "common/metrics/http_server.hpp"

#include <asio/experimental/awaitable_operators.hpp>

#include "common/log/log.hpp"
#include "common/net/listen_address.hpp"

namespace mailpipe::metrics {
namespace {

using namespace asio::experimental::awaitable_operators;
using asio::ip::tcp;

constexpr std::string_view metrics_path = "/metrics";
constexpr std::string_view exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";
// After the answer, read what the client still sends (a request body, the
// rest of an oversized head) for a moment before closing: closing with
// unread bytes makes the kernel send a RST, which can destroy the answer
// before the client reads it (the "lingering close" of RFC 9112 9.6).
constexpr auto linger_bound = std::chrono::seconds(1);
constexpr std::size_t linger_max_bytes = 64 * 1024;

asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  asio::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

std::string response(std::string_view status, std::string_view content_type, const std::string& body,
                     bool with_body = true, std::string_view extra_header = {}) {
  std::string out = "HTTP/1.1 " + std::string(status) + "\r\n";
  out += "Content-Type: " + std::string(content_type) + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!extra_header.empty()) out += std::string(extra_header) + "\r\n";
  out += "Connection: close\r\n\r\n";
  if (with_body) out += body;
  return out;
}

std::string error_response(std::string_view status, std::string_view extra_header = {}) {
  return response(status, "text/plain; charset=utf-8", std::string(status) + "\n", true, extra_header);
}

struct Head {
  enum class Status { complete, too_large, closed } status;
  std::string text;  // without the blank line that ends it
};

asio::awaitable<Head> read_head(tcp::socket& socket, std::size_t max_bytes) {
  std::string buffer;
  char chunk[2048];
  while (buffer.size() < max_bytes) {
    asio::error_code ec;
    const std::size_t room = std::min(sizeof chunk, max_bytes - buffer.size());
    const std::size_t n =
        co_await socket.async_read_some(asio::buffer(chunk, room), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Head{Head::Status::closed, {}};
    const std::size_t search_from = buffer.size() >= 3 ? buffer.size() - 3 : 0;
    buffer.append(chunk, n);
    // RFC 9112 2.2: a head ends with an empty line.
    if (const std::size_t end = buffer.find("\r\n\r\n", search_from); end != std::string::npos) {
      buffer.resize(end);
      co_return Head{Head::Status::complete, std::move(buffer)};
    }
  }
  co_return Head{Head::Status::too_large, {}};
}

asio::awaitable<void> write_all(tcp::socket& socket, const std::string& bytes) {
  asio::error_code ec;
  co_await asio::async_write(socket, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> drain(tcp::socket& socket) {
  char chunk[4096];
  for (std::size_t total = 0; total < linger_max_bytes;) {
    asio::error_code ec;
    total += co_await socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

// Counts a connection from accept to the end of its coroutine frame, even
// when the frame is destroyed unrun at io_context teardown.
class ConnectionSlot final {
 public:
  explicit ConnectionSlot(std::shared_ptr<std::size_t> active) : active_(std::move(active)) { ++*active_; }
  ConnectionSlot(ConnectionSlot&&) = default;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (active_) --*active_;
  }

 private:
  std::shared_ptr<std::size_t> active_;
};

}  // namespace

std::string answer_request(std::string_view head, const Registry& registry) {
  const std::string_view request_line = head.substr(0, head.find("\r\n"));
  // RFC 9112 3: method SP request-target SP HTTP-version, single spaces.
  const std::size_t first = request_line.find(' ');
  const std::size_t second = first == std::string_view::npos ? first : request_line.find(' ', first + 1);
  if (second == std::string_view::npos || request_line.find(' ', second + 1) != std::string_view::npos) {
    return error_response("400 Bad Request");
  }
  const std::string_view method = request_line.substr(0, first);
  const std::string_view target = request_line.substr(first + 1, second - first - 1);
  const std::string_view version = request_line.substr(second + 1);
  if (method.empty() || (version != "HTTP/1.1" && version != "HTTP/1.0")) return error_response("400 Bad Request");
  if (target.substr(0, target.find('?')) != metrics_path) return error_response("404 Not Found");
  // RFC 9110 9.1: a server that has GET must answer HEAD the same, sans body.
  if (method != "GET" && method != "HEAD") return error_response("405 Method Not Allowed", "Allow: GET, HEAD");
  return response("200 OK", exposition_content_type, registry.render(), method == "GET");
}

HttpServer::HttpServer(asio::io_context& io, const std::string& address, const Registry& registry,
                       HttpLimits limits)
    : io_(io), acceptor_(io), registry_(registry), limits_(limits) {
  net::listen_on(acceptor_, address);
}

void HttpServer::start() { asio::co_spawn(io_, accept_loop(), asio::detached); }

void HttpServer::close() {
  asio::error_code ignored;
  acceptor_.close(ignored);
}

std::string HttpServer::local_address() const { return net::local_address_text(acceptor_); }

asio::awaitable<void> HttpServer::accept_loop() {
  while (acceptor_.is_open()) {
    asio::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and friends: say so and back off instead of spinning.
      log::error("accept_failed").kv("listen", local_address()).kv("error", ec.message());
      co_await sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (*active_ >= limits_.max_connections) {
      // Debug only: a flood must not turn into a flood of log lines.
      log::debug("metrics_connection_refused").kv("connections", *active_);
      socket.close(ec);
      continue;
    }
    ConnectionSlot slot(active_);
    asio::co_spawn(io_, [](HttpServer* self, tcp::socket socket, ConnectionSlot) -> asio::awaitable<void> {
      co_await self->serve(std::move(socket));
    }(this, std::move(socket), std::move(slot)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::serve(tcp::socket socket) {
  try {
    std::string answer;
    const auto head = co_await (read_head(socket, limits_.max_head_bytes) || sleep_for(limits_.head_timeout));
    if (head.index() == 1) {
      answer = error_response("408 Request Timeout");
    } else {
      const Head& request = std::get<0>(head);
      switch (request.status) {
        case Head::Status::closed: co_return;
        case Head::Status::too_large: answer = error_response("400 Bad Request"); break;
        case Head::Status::complete: answer = answer_request(request.text, registry_); break;
      }
    }
    if ((co_await (write_all(socket, answer) || sleep_for(limits_.write_timeout))).index() == 0) {
      asio::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_await (drain(socket) || sleep_for(linger_bound));
    }
  } catch (const std::exception& e) {
    // A bug (or a throwing gauge callback), not the client's fault: log it,
    // drop this connection, keep serving.
    log::error("metrics_request_failed").kv("error", e.what());
  }
}

}  // namespace mailpipe::metrics
