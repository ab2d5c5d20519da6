#include "ctl/admin_client.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <zmq.hpp>

namespace mailpipe::ctl {
namespace {

// An ipc:// socket that is missing or not ours to use: zmq would retry
// silently until the timeout, so say what is wrong at once.
std::string local_socket_problem(const std::string& endpoint) {
  if (!endpoint.starts_with("ipc://")) return "";
  const std::string path = endpoint.substr(6);
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == EACCES) {
      return "cannot reach " + path + ": permission denied; run as root or as a member of the MTA's admin_group";
    }
    return "no socket at " + path + " (" + std::strerror(errno) +
           "): is the MTA running, with admin_endpoint: \"" + endpoint + "\" in its config?";
  }
  if (!S_ISSOCK(info.st_mode)) return path + " is not a socket: check the MTA's admin_endpoint";
  if (::access(path.c_str(), W_OK) != 0) {
    return "cannot use " + path + ": " + std::strerror(errno) +
           "; run as root or as a member of the MTA's admin_group";
  }
  return "";
}

v1::AdminReply reply_of(const v1::Frame& frame) {
  if (frame.has_admin_reply()) return frame.admin_reply();
  v1::AdminReply reply;
  if (frame.has_error()) {
    *reply.mutable_status() = frame.error().status();
  } else {
    reply.mutable_status()->set_code(554);
    reply.mutable_status()->set_text("The MTA sent an unexpected answer");
  }
  return reply;
}

}  // namespace

std::string MtaAnswer::name() const {
  if (reply && !reply->mta().empty()) return reply->mta();
  return endpoint;
}

std::vector<MtaAnswer> ask_every_mta(const std::vector<std::string>& endpoints, const v1::AdminRequest& request,
                                     std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  std::vector<MtaAnswer> answers(endpoints.size());
  zmq::context_t context(1);
  std::vector<zmq::socket_t> sockets;
  std::vector<std::size_t> waiting;  // index into answers, parallel to sockets
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    answers[i].endpoint = endpoints[i];
    answers[i].problem = local_socket_problem(endpoints[i]);
    if (!answers[i].problem.empty()) continue;
    zmq::socket_t socket(context, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);  // exit at once, whatever is unsent
    try {
      socket.connect(endpoints[i]);
    } catch (const zmq::error_t& e) {
      answers[i].problem = "cannot connect to " + endpoints[i] + ": " + e.what();
      continue;
    }
    v1::Frame frame;
    frame.set_request_id(i + 1);
    *frame.mutable_admin_request() = request;
    const std::string bytes = frame.SerializeAsString();
    // Without ZMQ_IMMEDIATE a DEALER queues while it connects: never blocks.
    if (!socket.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) {
      answers[i].problem = "cannot send to " + endpoints[i];
      continue;
    }
    sockets.push_back(std::move(socket));
    waiting.push_back(i);
  }

  std::vector<bool> done(sockets.size(), false);
  std::size_t remaining = sockets.size();
  while (remaining > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) break;
    std::vector<zmq::pollitem_t> items;
    std::vector<std::size_t> polled;
    for (std::size_t s = 0; s < sockets.size(); ++s) {
      if (done[s]) continue;
      items.push_back({sockets[s].handle(), 0, ZMQ_POLLIN, 0});
      polled.push_back(s);
    }
    zmq::poll(items.data(), items.size(), left);
    for (std::size_t k = 0; k < items.size(); ++k) {
      if ((items[k].revents & ZMQ_POLLIN) == 0) continue;
      const std::size_t s = polled[k];
      zmq::message_t message;
      while (sockets[s].recv(message, zmq::recv_flags::dontwait)) {
        v1::Frame frame;
        const std::size_t index = waiting[s];
        if (!frame.ParseFromArray(message.data(), static_cast<int>(message.size())) ||
            frame.request_id() != index + 1) {
          continue;  // not the answer to our request
        }
        answers[index].reply = reply_of(frame);
        done[s] = true;
        --remaining;
        break;
      }
    }
  }
  for (std::size_t s = 0; s < sockets.size(); ++s) {
    if (done[s]) continue;
    answers[waiting[s]].problem = "no answer from " + endpoints[waiting[s]] + " within " +
                                  std::to_string(timeout.count()) +
                                  " ms: is the MTA running? (raise timeout_ms in mailpipectl.conf if it is busy)";
  }
  return answers;
}

}  // namespace mailpipe::ctl
