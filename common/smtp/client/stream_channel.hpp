#pragma once
// The one client connection of the relay, the LMTP client and mpmail: a
// stream socket (TCP or a UNIX socket such as Dovecot's LMTP), upgraded
// with STARTTLS (RFC 3207) or TLS from the start (RFC 8314), replies read
// through the bounded ReplyParser. Every step has its own timeout; an
// optional session deadline caps them all (the LMTP rule's timeout_ms).
#include <asio.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/ssl.hpp>
#include <memory>

#include "common/smtp/client/channel.hpp"
#include "common/smtp/client/reply_parser.hpp"

namespace mailpipe::smtp::client {

class StreamChannel final : public ClientChannel {
 public:
  using Endpoint = asio::generic::stream_protocol::endpoint;
  using Clock = std::chrono::steady_clock;

  explicit StreamChannel(asio::any_io_executor executor);
  ~StreamChannel() override;
  StreamChannel(const StreamChannel&) = delete;
  StreamChannel& operator=(const StreamChannel&) = delete;

  // No step ends later than `deadline`.
  void set_session_deadline(Clock::time_point deadline) { session_deadline_ = deadline; }
  // False with error() set. A channel may try endpoints one after another.
  asio::awaitable<bool> connect(const Endpoint& endpoint, Timeout timeout);

  asio::awaitable<std::optional<Reply>> read_reply(Timeout timeout) override;
  asio::awaitable<bool> write(std::string_view bytes, Timeout timeout) override;
  asio::awaitable<bool> write_data(std::string_view bytes, Timeout timeout) override;
  asio::awaitable<bool> start_tls(asio::ssl::context& context, const std::string& server_name, bool verify,
                                  Timeout timeout) override;
  bool unasked_input() override;
  bool tls_active() const override { return tls_; }
  const ChannelError& error() const override { return error_; }
  void fail(ChannelFailure kind, std::string text) override;

  // "TLSv1.3:TLS_AES_256_GCM_SHA384", or "none".
  std::string tls_description() const;
  // For EHLO when the host has no usable name: "[192.0.2.1]" or
  // "[IPv6:...]" (RFC 5321 4.1.3).
  std::string local_address_literal() const;
  void close();

 private:
  void arm(Timeout timeout);
  void disarm() { deadline_.cancel(); }
  asio::awaitable<std::size_t> read_some(asio::mutable_buffer buffer, asio::error_code& ec);
  asio::awaitable<void> write_all(std::string_view bytes, asio::error_code& ec);
  void lost(const asio::error_code& ec, std::string_view during);

  asio::generic::stream_protocol::socket socket_;
  asio::steady_timer deadline_;
  std::unique_ptr<asio::ssl::stream<asio::generic::stream_protocol::socket&>> tls_stream_;
  std::optional<Clock::time_point> session_deadline_;
  ReplyParser parser_;
  ChannelError error_;
  bool timed_out_ = false;
  bool tls_ = false;
  // TLS 1.3 servers send session tickets right after the handshake: raw
  // bytes that are no reply. Until the first reply over TLS is read they
  // are not counted as unasked input.
  bool raw_bytes_are_input_ = true;
};

}  // namespace mailpipe::smtp::client
