#pragma once
// What the client dialogue (dialogue.hpp) needs of its connection: read
// one reply, write bytes, start TLS, and tell whether the server sent
// something no step asked for. The network one is stream_channel.hpp;
// unit tests may script a server with a fake.
//
// Errors are values: a read that gives no reply returns nullopt and error()
// says what happened, in words for a log line or a DSN.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/smtp/reply.hpp"

namespace mailpipe::smtp::client {

enum class ChannelFailure {
  none,
  unreachable,  // no connection could be made
  timeout,      // a step did not finish in time
  closed,       // the server closed the connection or it broke
  protocol,     // the server sent what SMTP does not allow at this step
  tls,          // the TLS handshake failed
};

struct ChannelError {
  ChannelFailure kind = ChannelFailure::none;
  std::string text;
};

class ClientChannel {
 public:
  using Timeout = std::chrono::milliseconds;
  virtual ~ClientChannel() = default;

  // The next whole reply, or nullopt with error() set.
  virtual asio::awaitable<std::optional<Reply>> read_reply(Timeout timeout) = 0;
  // A command or a batch of them; false with error() set.
  virtual asio::awaitable<bool> write(std::string_view bytes, Timeout timeout) = 0;
  // The message after 354, each 64 KiB within `timeout`: a protocol error
  // when the server answers before the final dot (it cannot have read it).
  virtual asio::awaitable<bool> write_data(std::string_view bytes, Timeout timeout) = 0;
  // RFC 3207: after the 220 to STARTTLS. Input read before it is dropped.
  virtual asio::awaitable<bool> start_tls(asio::ssl::context& context, const std::string& server_name, bool verify,
                                          Timeout timeout) = 0;
  // The server sent something not yet asked for, or closed: either way the
  // next reply would not be the answer to the next command.
  virtual bool unasked_input() = 0;
  virtual bool tls_active() const = 0;
  virtual const ChannelError& error() const = 0;
  // Records a failure found above the channel (a reply the step does not
  // allow): the connection is then done.
  virtual void fail(ChannelFailure kind, std::string text) = 0;
};

}  // namespace mailpipe::smtp::client
