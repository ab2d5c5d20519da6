#pragma once
// Request/reply over a ZeroMQ DEALER socket: each request gets an id, the
// reply carries it back, and a request that gets no reply within its timeout
// returns nothing. The caller turns "nothing" into a 4xx so the sender keeps
// its mail (DESIGN rule 1).
//
// A DEALER connected to several endpoints spreads requests round-robin over
// the live peers; ZMQ_IMMEDIATE keeps requests off connections that are not
// up (they would sit in a dead peer's queue until the timeout).
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/transport/curve.hpp"
#include "common/transport/zmq_socket.hpp"
#include "mailpipe.pb.h"

namespace mailpipe::transport {

class ZmqClient final {
 public:
  // `keys`: CURVE client keys for the link (none: plaintext).
  ZmqClient(asio::io_context& io, zmq::context_t& context, const std::vector<std::string>& endpoints,
            const LinkKeys& keys = {});
  ZmqClient(const ZmqClient&) = delete;
  ZmqClient& operator=(const ZmqClient&) = delete;

  // Sends `request` (with a request_id of its own in place of the frame's)
  // and waits for the reply. Await it at once (`co_await
  // client.request(frame, ...)`): `request` is read when the coroutine
  // starts, before its first suspension, and not after. nullopt: no live peer or no reply within `timeout`.
  // `connect_wait` bounds the wait for a live peer to send to (default: all
  // of timeout).
  asio::awaitable<std::optional<v1::Frame>> request(const v1::Frame& request, std::chrono::milliseconds timeout,
                                                    std::optional<std::chrono::milliseconds> connect_wait = {});

  void close() { socket_.close(); }

 private:
  struct Pending {
    explicit Pending(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    std::optional<v1::Frame> reply;
  };
  void on_message(Parts&& parts);

  asio::io_context& io_;
  ZmqSocket socket_;
  uint64_t next_id_ = 1;
  // Shared with in-flight requests: their frames may be destroyed after
  // this client (at io_context shutdown) and still erase their entry.
  using PendingMap = std::unordered_map<uint64_t, std::shared_ptr<Pending>>;
  std::shared_ptr<PendingMap> pending_ = std::make_shared<PendingMap>();
};

}  // namespace mailpipe::transport
