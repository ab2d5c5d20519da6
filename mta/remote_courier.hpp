#pragma once
// How mail leaves the MTA for other domains: for each recipient domain,
// find the MX hosts (RFC 5321 5.1, RFC 7505), try them in order, address
// by address (each address once, at most mx_address_limit per attempt),
// until one answers for the recipients. How many run at once, to one
// domain and in all, is the queue's decision (DeliveryScheduler).
// An MX that is this MTA (our own listener, or a server greeting with our
// name) fails the recipients 554 5.4.6: the mail would loop.
// Every recipient gets an outcome: DELIVERED, TEMPFAIL or PERMFAIL.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <map>
#include <string>
#include <vector>

#include "config.pb.h"
#include "mailpipe.pb.h"
#include "mta/courier.hpp"
#include "mta/mta_metrics.hpp"
#include "mta/mx_resolver.hpp"
#include "mta/smtp_client.hpp"

namespace mailpipe::mta {

class RemoteCourier final : public Courier {
 public:
  RemoteCourier(asio::io_context& io, const v1::MtaConfig& config, MxResolver& resolver);

  asio::awaitable<std::map<std::string, v1::RecipientResult>> deliver(
      const std::string& queue_id, uint32_t attempt, const v1::Envelope& envelope,
      const std::vector<std::string>& recipients, const std::string& message) override;

  v1::TlsPolicy tls_policy_for(const std::string& domain) const;
  void set_metrics(MtaMetrics* metrics) { metrics_ = metrics; }

 private:
  asio::awaitable<std::map<std::string, v1::RecipientResult>> deliver_to_domain(
      const std::string& queue_id, const v1::Envelope& envelope, const std::string& domain,
      const std::vector<std::string>& recipients, const std::string& message,
      const std::chrono::steady_clock::time_point& deadline);

  bool is_own_endpoint(const asio::ip::tcp::endpoint& endpoint) const;

  const v1::MtaConfig& config_;
  MxResolver& resolver_;
  asio::ssl::context verify_context_;
  asio::ssl::context opportunistic_context_;
  SmtpClient client_;
  std::vector<asio::ip::tcp::endpoint> own_endpoints_;  // our MX listeners: an MX there is ourselves
  MtaMetrics* metrics_ = nullptr;
};

}  // namespace mailpipe::mta
