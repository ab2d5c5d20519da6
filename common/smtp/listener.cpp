#include "common/smtp/listener.hpp"

#include <stdexcept>

#include "common/log/log.hpp"

namespace mailpipe::smtp {

asio::ip::tcp::endpoint parse_listen_address(std::string_view address) {
  std::string host;
  std::string_view port;
  if (address.starts_with('[')) {
    const std::size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      throw std::invalid_argument("listen address '" + std::string(address) + "': expected [ipv6]:port");
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      throw std::invalid_argument("listen address '" + std::string(address) + "': expected ip:port");
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  asio::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (ec) throw std::invalid_argument("listen address '" + std::string(address) + "': bad IP address");
  unsigned number = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || number > 65535) {
      throw std::invalid_argument("listen address '" + std::string(address) + "': bad port");
    }
    number = number * 10 + static_cast<unsigned>(c - '0');
  }
  if (port.empty() || number > 65535) {
    throw std::invalid_argument("listen address '" + std::string(address) + "': bad port");
  }
  return {ip, static_cast<unsigned short>(number)};
}

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
  const auto endpoint = parse_listen_address(address);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
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

std::string Listener::local_address() const {
  asio::error_code ec;
  const auto endpoint = acceptor_.local_endpoint(ec);
  if (ec) return "closed";
  const auto ip = endpoint.address();
  return (ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string()) + ":" + std::to_string(endpoint.port());
}

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
