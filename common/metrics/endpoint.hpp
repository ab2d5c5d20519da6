#pragma once
// The one way a process exposes its metrics: a registry with the standard
// process gauges, served over HTTP when `listen` is set. Made before
// privileges are dropped (it opens /proc/self/fd and may bind a low port).
#include <asio.hpp>
#include <memory>
#include <string>

#include "common/metrics/http_server.hpp"
#include "common/metrics/registry.hpp"

namespace mailpipe::metrics {

class Endpoint final {
 public:
  // `listen` empty: metrics are counted but not served.
  Endpoint(asio::io_context& io, const std::string& listen);

  Registry& registry() { return registry_; }
  void start();
  void close();
  std::string local_address() const;  // "none" when not served

 private:
  Registry registry_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace mailpipe::metrics
