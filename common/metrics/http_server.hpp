#pragma once
// Serves GET /metrics (the Registry's render()) over plain HTTP/1.1 for a
// Prometheus scraper. Bind it to loopback or a management network: it is
// not a web server for the internet, has no TLS and no authentication, and
// only reads: no request can change any state.
//
// One coroutine per connection on the process's event loop, one request per
// connection (Connection: close). Hostile or broken clients are bounded:
//   - a request head over `max_head_bytes`            -> 400, close
//   - a head not complete within `head_timeout`       -> 408, close
//   - an unknown path -> 404; a method other than GET/HEAD -> 405
//   - more than `max_connections` at once: the extra ones are closed at once
//   - a reader too slow to take the answer within `write_timeout` is dropped.
#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "common/metrics/registry.hpp"

namespace mailpipe::metrics {

struct HttpLimits {
  std::size_t max_connections = 64;  // a scraper or two, plus some slack
  std::size_t max_head_bytes = 8 * 1024;
  std::chrono::milliseconds head_timeout{5000};
  std::chrono::milliseconds write_timeout{10000};
};

class HttpServer final {
 public:
  // Binds at once so a busy port fails start-up: "127.0.0.1:9100" or
  // "[::1]:9100" (net::parse_listen_address; throws std::invalid_argument).
  // `registry` must outlive the connections, which run on `io`'s thread.
  HttpServer(asio::io_context& io, const std::string& address, const Registry& registry, HttpLimits limits = {});

  void start();
  // Stops accepting; a scrape in progress finishes (it is bounded anyway).
  void close();
  std::string local_address() const;
  std::size_t active_connections() const { return *active_; }

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  const Registry& registry_;
  HttpLimits limits_;
  // Shared with the connections' coroutine frames, which may be destroyed
  // after this server when the io_context is torn down.
  std::shared_ptr<std::size_t> active_ = std::make_shared<std::size_t>(0);
};

// Builds the whole response to one request head (request line and header
// fields, up to and without the blank line). Public for the tests.
std::string answer_request(std::string_view head, const Registry& registry);

}  // namespace mailpipe::metrics
