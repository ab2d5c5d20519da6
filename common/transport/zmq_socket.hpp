#pragma once
// A ZeroMQ socket driven by an Asio event loop (no extra thread).
//
// libzmq exposes ZMQ_FD, which becomes readable when the socket's state may
// have changed; it is edge-like, so after every wake-up and after every send
// we must drain all messages while ZMQ_EVENTS says POLLIN (zmq_getsockopt(3),
// "ZMQ_FD"). This class owns that dance; clients and servers only see
// complete multipart messages.
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <asio.hpp>
#include <functional>
#include <string>
#include <vector>

namespace mailpipe::transport {

using Parts = std::vector<zmq::message_t>;

class ZmqSocket final {
 public:
  using OnMessage = std::function<void(Parts&&)>;

  ZmqSocket(asio::io_context& io, zmq::context_t& context, zmq::socket_type type);
  ~ZmqSocket();
  ZmqSocket(const ZmqSocket&) = delete;
  ZmqSocket& operator=(const ZmqSocket&) = delete;

  zmq::socket_t& raw() { return socket_; }

  // Starts the receive loop; `on_message` is called on the io thread.
  void start(OnMessage on_message);
  // Non-blocking send of a multipart message. False when it cannot be queued
  // now (no connected peer with ZMQ_IMMEDIATE, or high-water mark).
  bool send(Parts&& parts);
  void close();

 private:
  asio::awaitable<void> receive_loop();
  void drain();

  zmq::socket_t socket_;
  asio::posix::stream_descriptor fd_;
  OnMessage on_message_;
  bool draining_ = false;
  bool closed_ = false;
};

}  // namespace mailpipe::transport
