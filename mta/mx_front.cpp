#include "mta/mx_front.hpp"

#include "common/tls/server_context.hpp"

namespace mailpipe::mta {

MxFront::MxFront(asio::io_context& io, const v1::MxConfig& config, const RecipientResolver& resolver,
                 Intake& intake, const std::string& hostname, smtp::SmtpMetrics* metrics)
    : hostname_(hostname), metrics_(metrics), policy_(resolver, config), receiver_(intake, hostname),
      clients_(std::make_shared<smtp::ClientLimits>(config.limits())) {
  if (config.has_tls()) tls_ = std::make_shared<asio::ssl::context>(tls::make_server_context(config.tls()));
  for (const auto& listen : config.listen()) {
    // Port 25 starts in plaintext and offers STARTTLS (RFC 3207).
    smtp::SessionSettings settings{hostname, config.limits(), false, metrics_};
    listeners_.push_back(std::make_unique<smtp::Listener>(io, listen.address(), settings, nullptr, policy_,
                                                          receiver_, clients_));
    listeners_.back()->set_tls(tls_);
  }
}

void MxFront::reload(const v1::MxConfig& config) {
  std::shared_ptr<asio::ssl::context> tls;
  if (config.has_tls()) tls = std::make_shared<asio::ssl::context>(tls::make_server_context(config.tls()));
  tls_ = tls;
  for (auto& listener : listeners_) {
    listener->set_tls(tls);
    listener->set_settings({hostname_, config.limits(), false, metrics_});
  }
  clients_->set_limits(config.limits());
  policy_.set_relay_domains(config);
}

void MxFront::start() {
  for (auto& listener : listeners_) listener->start();
}

void MxFront::shutdown() {
  for (auto& listener : listeners_) listener->shutdown();
}

std::size_t MxFront::active_sessions() const {
  std::size_t open = 0;
  for (const auto& listener : listeners_) open += listener->active_sessions();
  return open;
}

std::string MxFront::local_addresses() const {
  std::string out;
  for (const auto& listener : listeners_) {
    if (!out.empty()) out += ',';
    out += listener->local_address();
  }
  return out;
}

}  // namespace mailpipe::mta
