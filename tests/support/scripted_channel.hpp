#pragma once
// A scripted SMTP server behind the client core's ClientChannel, for unit
// tests of the dialogues (common/smtp/client, mpmail's submission): each
// command written gets the replies `answer` gives for it (none, one, or
// more than asked: a hostile server), queued until read. "Unasked input"
// is simply a reply still queued when the client sends its next command.
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "common/smtp/client/channel.hpp"

namespace mailpipe::test_support {

class ScriptedChannel final : public smtp::client::ClientChannel {
 public:
  // Sees each command line without its CRLF, or "<message>" for the
  // message after a 354, and returns the replies to queue. A reply with
  // code -1 queues nothing (a server that stays silent).
  std::function<std::vector<smtp::Reply>(const std::string&)> answer;
  std::vector<std::string> written;
  std::deque<smtp::Reply> pending{smtp::Reply{220, "", "fake ESMTP"}};
  bool tls = false;
  bool tls_works = true;

  // For scripts that give one reply per command.
  static std::function<std::vector<smtp::Reply>(const std::string&)> one_each(
      std::function<smtp::Reply(const std::string&)> single) {
    return [single](const std::string& line) { return std::vector<smtp::Reply>{single(line)}; };
  }

  asio::awaitable<std::optional<smtp::Reply>> read_reply(Timeout) override {
    if (error_.kind != smtp::client::ChannelFailure::none) co_return std::nullopt;
    if (pending.empty()) {
      fail(smtp::client::ChannelFailure::closed, "connection lost: End of file");
      co_return std::nullopt;
    }
    smtp::Reply reply = pending.front();
    pending.pop_front();
    co_return reply;
  }
  asio::awaitable<bool> write(std::string_view bytes, Timeout) override {
    written.emplace_back(bytes);
    const std::string line(bytes);
    // A pipelined batch is several commands in one write.
    std::size_t start = 0;
    while (start < line.size()) {
      const std::size_t end = in_data_ ? line.size() - 2 : line.find("\r\n", start);
      queue(in_data_ ? "<message>" : line.substr(start, end - start));
      start = end + 2;
    }
    co_return true;
  }
  asio::awaitable<bool> write_data(std::string_view bytes, Timeout timeout) override {
    const bool ok = co_await write(bytes, timeout);
    co_return ok;
  }
  asio::awaitable<bool> start_tls(asio::ssl::context&, const std::string&, bool, Timeout) override {
    tls = tls_works;
    if (!tls_works) fail(smtp::client::ChannelFailure::tls, "TLS handshake failed with fake: certificate verify failed");
    co_return tls_works;
  }
  bool unasked_input() override { return !pending.empty(); }
  bool tls_active() const override { return tls; }
  const smtp::client::ChannelError& error() const override { return error_; }
  void fail(smtp::client::ChannelFailure kind, std::string text) override {
    if (error_.kind == smtp::client::ChannelFailure::none) error_ = {kind, std::move(text)};
  }

 private:
  void queue(const std::string& command) {
    bool data_accepted = false;
    for (const smtp::Reply& reply : answer(command)) {
      if (reply.code == -1) continue;
      pending.push_back(reply);
      data_accepted = data_accepted || (command == "DATA" && reply.code == 354);
    }
    in_data_ = data_accepted;
  }

  bool in_data_ = false;
  smtp::client::ChannelError error_;
};

}  // namespace mailpipe::test_support
