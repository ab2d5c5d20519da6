#pragma once
// The wire side of the LMTP client: one stream connection, TCP or a UNIX
// socket (Dovecot's /run/dovecot/lmtp), reading SMTP-shaped replies
// (RFC 5321 4.2) with a bound on line length and line count. The whole
// session has one deadline (the rule's timeout_ms): every connect, read
// and write races it, so no peer can hold a delivery longer. Errors are
// values: a reply with code 0 says in its text why there was none.
#include <asio.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/smtp/reply.hpp"

namespace mailpipe::mda {

// "unix:/run/dovecot/lmtp", "127.0.0.1:24", "[::1]:24" (numeric: an LMTP
// server is ours, on this host or the next, and needs no DNS). nullopt with
// `problem` set when the text is none of these.
std::optional<asio::generic::stream_protocol::endpoint> parse_lmtp_server(std::string_view text, std::string& problem);

// Reply lines longer than this or replies of more lines end the session:
// RFC 5321 4.5.3.1.5 allows 512 octets a line; generous, never unbounded.
constexpr std::size_t max_reply_line = 4096;
constexpr int max_reply_lines = 100;


class LmtpConnection final {
 public:
  LmtpConnection(asio::any_io_executor executor, std::chrono::milliseconds timeout);
  ~LmtpConnection();
  LmtpConnection(const LmtpConnection&) = delete;
  LmtpConnection& operator=(const LmtpConnection&) = delete;

  // "" once connected, else why not.
  asio::awaitable<std::string> connect(const asio::generic::stream_protocol::endpoint& endpoint);
  asio::awaitable<smtp::Reply> read_reply();
  asio::awaitable<bool> write(std::string_view bytes);
  // Brings the deadline closer (for QUIT, which is a courtesy).
  void shorten_deadline(std::chrono::milliseconds at_most);
  bool timed_out() const { return timed_out_; }
  void close();

 private:
  asio::generic::stream_protocol::socket socket_;
  asio::steady_timer deadline_;
  std::string buffer_;
  bool timed_out_ = false;
};

}  // namespace mailpipe::mda
