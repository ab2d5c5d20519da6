#include "common/smtp/listener.hpp"

#include "common/log/log.hpp"
#include "common/net/listen_address.hpp"

namespace mailpipe::smtp {

Listener::Listener(asio::io_context& io, const std::string& address, SessionSettings settings,
                   asio::ssl::context* tls, Policy& policy, MessageSink& sink,
                   std::shared_ptr<ClientLimits> clients)
    : io_(io),
      acceptor_(io),
      settings_(std::make_shared<const SessionSettings>(std::move(settings))),
      // Not owned: the caller's context outlives this listener.
      tls_(tls, [](asio::ssl::context*) {}),
      policy_(policy),
      sink_(sink),
      clients_(clients ? std::move(clients) : std::make_shared<ClientLimits>(settings_->limits)) {
  net::listen_on(acceptor_, address);
}

void Listener::start() { asio::co_spawn(io_, accept_loop(), asio::detached); }

void Listener::close() {
  asio::error_code ignored;
  acceptor_.close(ignored);
}

void Listener::set_settings(SessionSettings settings) {
  settings_ = std::make_shared<const SessionSettings>(std::move(settings));
}

void Listener::shutdown() {
  close();
  stopping_ = true;
  for (Session* session : *sessions_) session->request_stop();
}

std::string Listener::local_address() const { return net::local_address_text(acceptor_); }

asio::awaitable<void> Listener::accept_loop() {
  while (acceptor_.is_open()) {
    asio::error_code ec;
    asio::ip::tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and friends: say so and back off instead of spinning.
      log::error("accept_failed").kv("listen", local_address()).kv("error", ec.message());
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Listener::serve(asio::ip::tcp::socket socket) {
  try {
    Connection connection(std::move(socket), tls_);
    const std::string client = connection.peer_address();
    const std::optional<Reply> refusal = clients_->admit(client);
    if (refusal) {
      log::warning("connection_refused").kv("client", client).kv("connections", clients_->connections())
          .kv("dsn", refusal->enhanced).kv("reason", refusal->text);
    }
    // The frame keeps the counts alive: it may be destroyed after this
    // listener, when the io_context is torn down.
    const std::shared_ptr<ClientLimits> clients = clients_;
    struct Release {
      ClientLimits* clients;  // null when the connection was not counted
      const std::string& client;
      ~Release() { if (clients) clients->release(client); }
    } release{refusal ? nullptr : clients.get(), client};
    const std::shared_ptr<const SessionSettings> settings = settings_;  // this session's, even after a reload
    Session session(std::move(connection), *settings, policy_, sink_);
    if (refusal) session.refuse(*refusal);
    const auto sessions = sessions_;
    sessions->insert(&session);
    struct Unregister {
      std::set<Session*>& sessions;
      Session* session;
      ~Unregister() { sessions.erase(session); }
    } unregister{*sessions, &session};
    if (stopping_) session.request_stop();  // accepted just before the acceptor closed
    co_await session.run();
  } catch (const std::exception& e) {
    // A bug, not a client's fault: log it, drop this session, keep serving.
    log::error("session_failed").kv("error", e.what());
  }
}

}  // namespace mailpipe::smtp
