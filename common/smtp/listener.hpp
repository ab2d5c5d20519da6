#pragma once
// Accepts SMTP connections on one address and runs a Session for each, all
// on the one event loop (no thread per connection).
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "common/smtp/client_limits.hpp"
#include "common/smtp/policy.hpp"
#include "common/smtp/session.hpp"

namespace mailpipe::smtp {

class Listener final {
 public:
  // Binds at once (so a busy port fails start-up); `tls` may be null when
  // no certificate is configured (then neither STARTTLS nor implicit TLS).
  // `clients` is shared by the listeners of one kind in a process (the two
  // submission ports); null: this listener keeps its own.
  Listener(asio::io_context& io, const std::string& address, SessionSettings settings,
           asio::ssl::context* tls, Policy& policy, MessageSink& sink,
           std::shared_ptr<ClientLimits> clients = nullptr);

  void start();
  // Stops accepting; sessions in progress go on.
  void close();
  // Graceful shutdown: stops accepting and asks every session to end at
  // its next quiet point (Session::request_stop).
  void shutdown();
  std::size_t active_sessions() const { return sessions_->size(); }
  // SIGHUP: new sessions get these; sessions in progress keep theirs.
  void set_tls(std::shared_ptr<asio::ssl::context> tls) { tls_ = std::move(tls); }
  void set_settings(SessionSettings settings);
  std::string local_address() const;

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<const SessionSettings> settings_;
  std::shared_ptr<asio::ssl::context> tls_;
  Policy& policy_;
  MessageSink& sink_;
  // Shared with the sessions' coroutine frames, like sessions_ below.
  std::shared_ptr<ClientLimits> clients_;
  // Shared with the sessions' coroutine frames, which may outlive this
  // listener when the io_context is torn down.
  std::shared_ptr<std::set<Session*>> sessions_ = std::make_shared<std::set<Session*>>();
  bool stopping_ = false;
};

}  // namespace mailpipe::smtp
