#pragma once
// The MTA's operator endpoint: answers mailpipectl's AdminRequest frames
// (queue list, show, flush, hold, release, delete) from the queue's own
// state. Bound to a local ipc:// socket whose file permissions say who
// may use it: root and admin_group. It trusts the caller as an operator;
// the socket's permissions are the whole of its authentication.
#include <asio.hpp>
#include <string>

#include "mailpipe.pb.h"
#include "mta/queue_runner.hpp"
#include "mta/spool.hpp"

namespace mailpipe::mta {

class AdminService final {
 public:
  AdminService(QueueRunner& queue, const Spool& spool, std::string hostname);

  asio::awaitable<v1::Frame> handle(v1::Frame request);
  // The answer to one request (public for tests).
  v1::AdminReply answer(const v1::AdminRequest& request);

 private:
  v1::QueuedMessage describe(const QueueRunner::View& view) const;

  QueueRunner& queue_;
  const Spool& spool_;
  std::string hostname_;
};

// Makes an ipc:// endpoint's socket file usable by root and `group` only
// (0660). Throws std::runtime_error naming the file. No-op for other
// transports.
void restrict_admin_socket(const std::string& endpoint, const std::string& group);

}  // namespace mailpipe::mta
