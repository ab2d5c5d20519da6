#pragma once
// The answering side of the wire contract: a ROUTER socket bound to an
// endpoint. Each request runs as its own coroutine, so a slow answer (an
// fsync) never blocks reading the next request; the reply goes back to the
// peer that asked, with the request's id.
#include <asio.hpp>
#include <functional>
#include <string>

#include "common/transport/curve.hpp"
#include "common/transport/zmq_socket.hpp"
#include "mailpipe.pb.h"

namespace mailpipe::transport {

class ZmqServer final {
 public:
  // Returns the reply body; the server sets request_id.
  using Handler = std::function<asio::awaitable<v1::Frame>(v1::Frame)>;

  // Throws zmq::error_t when the endpoint cannot be bound. With CURVE
  // `keys`, clients are checked by the process's ZapHandler under
  // `zap_domain`.
  ZmqServer(asio::io_context& io, zmq::context_t& context, const std::string& bind_endpoint, Handler handler,
            const LinkKeys& keys = {}, const std::string& zap_domain = "");
  ZmqServer(const ZmqServer&) = delete;
  ZmqServer& operator=(const ZmqServer&) = delete;

  void close() { socket_.close(); }

 private:
  void on_message(Parts&& parts);
  asio::awaitable<void> answer(zmq::message_t identity, v1::Frame request);
  void reply(const zmq::message_t& identity, const v1::Frame& frame);

  asio::io_context& io_;
  ZmqSocket socket_;
  Handler handler_;
};

}  // namespace mailpipe::transport
