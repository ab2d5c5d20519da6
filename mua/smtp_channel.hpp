#pragma once
// The submission dialogue's view of its connection: read a reply, write
// bytes, start TLS. The network one is network_channel.hpp; unit tests
// script the server with a fake. Errors are values: a reply with code 0
// and the reason in its text, or false with last_error().
#include <asio.hpp>
#include <string>
#include <string_view>

#include "common/smtp/reply.hpp"

namespace mailpipe::mua {

class SmtpChannel {
 public:
  virtual ~SmtpChannel() = default;

  virtual asio::awaitable<smtp::Reply> read_reply() = 0;
  virtual asio::awaitable<bool> write(std::string_view bytes) = 0;
  // RFC 3207: after the server's 220 to STARTTLS.
  virtual asio::awaitable<bool> start_tls() = 0;
  virtual bool tls_active() const = 0;
  // Why the last write or start_tls failed.
  virtual std::string last_error() const = 0;
};

}  // namespace mailpipe::mua
