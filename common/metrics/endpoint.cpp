#include "common/metrics/endpoint.hpp"

#include "common/metrics/process_metrics.hpp"

namespace mailpipe::metrics {

Endpoint::Endpoint(asio::io_context& io, const std::string& listen) {
  register_process_metrics(registry_);
  if (!listen.empty()) server_ = std::make_unique<HttpServer>(io, listen, registry_);
}

void Endpoint::start() {
  if (server_) server_->start();
}

void Endpoint::close() {
  if (server_) server_->close();
}

std::string Endpoint::local_address() const { return server_ ? server_->local_address() : "none"; }

}  // namespace mailpipe::metrics
