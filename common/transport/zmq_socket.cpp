#include "common/transport/zmq_socket.hpp"

#include "common/log/log.hpp"

namespace mailpipe::transport {

ZmqSocket::ZmqSocket(asio::io_context& io, zmq::context_t& context, zmq::socket_type type)
    : socket_(context, type), fd_(io) {
  // Never block shutdown on unsent messages: an unacknowledged request is
  // retried by its sender, so dropping it is safe.
  socket_.set(zmq::sockopt::linger, 0);
  fd_.assign(socket_.get(zmq::sockopt::fd));
}

ZmqSocket::~ZmqSocket() { close(); }

void ZmqSocket::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  fd_.cancel(ignored);
  fd_.release();  // the descriptor belongs to libzmq
  socket_.close();
}

void ZmqSocket::start(OnMessage on_message) {
  on_message_ = std::move(on_message);
  asio::co_spawn(fd_.get_executor(), receive_loop(), asio::detached);
}

asio::awaitable<void> ZmqSocket::receive_loop() {
  while (!closed_) {
    drain();
    asio::error_code ec;
    co_await fd_.async_wait(asio::posix::descriptor_base::wait_read,
                            asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || closed_) co_return;
    if (ec) {
      log::error("zmq_wait_failed").kv("error", ec.message());
      co_return;
    }
  }
}

void ZmqSocket::drain() {
  // on_message_ may send, and a send drains again: do not recurse.
  if (draining_ || closed_) return;
  draining_ = true;
  while (!closed_ && (socket_.get(zmq::sockopt::events) & ZMQ_POLLIN)) {
    Parts parts;
    const auto received = zmq::recv_multipart(socket_, std::back_inserter(parts), zmq::recv_flags::dontwait);
    if (!received || parts.empty()) break;
    on_message_(std::move(parts));
  }
  draining_ = false;
}

bool ZmqSocket::send(Parts&& parts) {
  if (closed_) return false;
  bool sent = false;
  try {
    sent = zmq::send_multipart(socket_, parts, zmq::send_flags::dontwait).has_value();
  } catch (const zmq::error_t& e) {
    // EHOSTUNREACH from a ROUTER whose peer left: the peer will retry.
    log::debug("zmq_send_failed").kv("error", e.what());
    sent = false;
  }
  // A send can consume the ZMQ_FD edge of an incoming message: look again,
  // but from the event loop so callers never re-enter their own handler.
  asio::post(fd_.get_executor(), [this] { drain(); });
  return sent;
}

}  // namespace mailpipe::transport
