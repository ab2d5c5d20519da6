#pragma once
// The inbound MX: SMTP listeners (port 25 in production) running the same
// session code and limits as the MSA, with the inbound policy (no AUTH,
// only our addresses and relay domains) and STARTTLS when a certificate is
// configured. It lives in the MTA because a 250 on port 25 needs the
// message durable in a spool: here that is this MTA's own spool, with no
// extra hop; more MX capacity is more MTAs behind more MX records.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/smtp/listener.hpp"
#include "config.pb.h"
#include "mta/inbound_policy.hpp"
#include "mta/intake.hpp"
#include "mta/mx_receiver.hpp"
#include "mta/recipient_resolver.hpp"

namespace mailpipe::mta {

class MxFront final {
 public:
  // Binds every listener at once, so a busy port fails start-up.
  MxFront(asio::io_context& io, const v1::MxConfig& config, const RecipientResolver& resolver, Intake& intake,
          const std::string& hostname, smtp::SmtpMetrics* metrics = nullptr);

  void start();
  // SIGHUP: certificate, limits and relay domains for new sessions (new
  // listen addresses need a restart). Throws when the certificate does
  // not load, before changing anything.
  void reload(const v1::MxConfig& config);
  void shutdown();  // graceful: see smtp::Listener::shutdown
  std::size_t active_sessions() const;
  // "127.0.0.1:2525,..." for the ready line.
  std::string local_addresses() const;

 private:
  std::shared_ptr<asio::ssl::context> tls_;
  std::string hostname_;
  smtp::SmtpMetrics* metrics_;
  InboundPolicy policy_;
  MxReceiver receiver_;
  std::shared_ptr<smtp::ClientLimits> clients_;  // one count for every MX listener
  std::vector<std::unique_ptr<smtp::Listener>> listeners_;
};

}  // namespace mailpipe::mta
