#include "common/transport/zmq_server.hpp"

#include "common/log/log.hpp"

namespace mailpipe::transport {

ZmqServer::ZmqServer(asio::io_context& io, zmq::context_t& context, const std::string& bind_endpoint,
                     Handler handler, const LinkKeys& keys, const std::string& zap_domain)
    : io_(io), socket_(io, context, zmq::socket_type::router), handler_(std::move(handler)) {
  make_curve_server(socket_.raw(), keys, zap_domain);
  socket_.raw().bind(bind_endpoint);
  socket_.start([this](Parts&& parts) { on_message(std::move(parts)); });
}

void ZmqServer::on_message(Parts&& parts) {
  // ROUTER: [peer identity, payload]. Anything else is not a mailpipe peer.
  if (parts.size() != 2) {
    log::warning("zmq_request_malformed").kv("frames", parts.size());
    return;
  }
  v1::Frame request;
  if (!request.ParseFromArray(parts[1].data(), static_cast<int>(parts[1].size()))) {
    log::warning("zmq_request_unparseable").kv("bytes", parts[1].size());
    v1::Frame error;
    auto* status = error.mutable_error()->mutable_status();
    status->set_code(554);
    status->set_enhanced("5.6.0");
    status->set_text("Request is not a mailpipe.v1.Frame");
    reply(parts[0], error);
    return;
  }
  asio::co_spawn(io_, answer(std::move(parts[0]), std::move(request)), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log::error("request_handler_failed").kv("error", ex.what());
    }
  });
}

asio::awaitable<void> ZmqServer::answer(zmq::message_t identity, v1::Frame request) {
  const uint64_t id = request.request_id();
  v1::Frame response = co_await handler_(std::move(request));
  response.set_request_id(id);
  reply(identity, response);
}

void ZmqServer::reply(const zmq::message_t& identity, const v1::Frame& frame) {
  std::string bytes = frame.SerializeAsString();
  Parts parts;
  parts.emplace_back(identity.data(), identity.size());
  parts.emplace_back(bytes.data(), bytes.size());
  if (!socket_.send(std::move(parts))) {
    // The peer went away; it times out and retries (at-least-once).
    log::warning("reply_undeliverable").kv("request_id", frame.request_id());
  }
}

}  // namespace mailpipe::transport
