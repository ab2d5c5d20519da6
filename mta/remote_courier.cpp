#include "mta/remote_courier.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <set>

#include "common/log/log.hpp"
#include "common/smtp/address.hpp"
#include "common/smtp/client/tls_client.hpp"
#include "common/net/listen_address.hpp"

namespace mailpipe::mta {
namespace {

std::vector<asio::ip::address> local_interface_addresses() {
  std::vector<asio::ip::address> addresses;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return addresses;
  for (const ifaddrs* entry = list; entry; entry = entry->ifa_next) {
    if (!entry->ifa_addr) continue;
    if (entry->ifa_addr->sa_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
      addresses.push_back(asio::ip::address_v4(ntohl(v4->sin_addr.s_addr)));
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::copy(std::begin(v6->sin6_addr.s6_addr), std::end(v6->sin6_addr.s6_addr), bytes.begin());
      addresses.push_back(asio::ip::address_v6(bytes, v6->sin6_scope_id));
    }
  }
  ::freeifaddrs(list);
  return addresses;
}

const char* dns_result(DnsStatus status) {
  switch (status) {
    case DnsStatus::ok: return "ok";
    case DnsStatus::permanent: return "permanent";
    default: return "temporary";
  }
}

// The MTA's own MX listeners. A wildcard one ("0.0.0.0:25") is every
// address of this host on its port: loopback and each interface's.
std::vector<asio::ip::tcp::endpoint> own_endpoints(const v1::MtaConfig& config) {
  std::vector<asio::ip::tcp::endpoint> own;
  std::vector<asio::ip::address> host_addresses;
  bool host_addresses_read = false;
  for (const auto& listen : config.mx().listen()) {
    asio::ip::tcp::endpoint endpoint;
    try {
      endpoint = net::parse_listen_address(listen.address());
    } catch (const std::exception&) {
      continue;  // the MX front refuses it at start
    }
    if (!endpoint.address().is_unspecified()) {
      own.push_back(endpoint);
      continue;
    }
    if (!host_addresses_read) {
      host_addresses = local_interface_addresses();
      host_addresses_read = true;
    }
    for (const auto& address : host_addresses) own.emplace_back(address, endpoint.port());
    own.push_back(endpoint);  // and all of 127.0.0.0/8 and ::1 (see is_own_endpoint)
  }
  return own;
}

v1::RecipientResult failure(const std::string& address, v1::Outcome outcome, uint32_t code,
                            const std::string& enhanced, const std::string& text) {
  v1::RecipientResult result;
  result.set_address(address);
  result.set_outcome(outcome);
  result.mutable_status()->set_code(code);
  result.mutable_status()->set_enhanced(enhanced);
  result.mutable_status()->set_text(text);
  return result;
}

std::string domain_of(const std::string& address) {
  const std::size_t at = address.rfind('@');
  return smtp::lowercase_ascii(at == std::string::npos ? "" : address.substr(at + 1));
}

}  // namespace

RemoteCourier::RemoteCourier(asio::io_context& io, const v1::MtaConfig& config, MxResolver& resolver)
    : config_(config),
      resolver_(resolver),
      verify_context_(smtp::client::make_client_tls_context({true, config.outbound().ca_file()})),
      opportunistic_context_(smtp::client::make_client_tls_context({false, ""})),
      client_(io, config.outbound(), config.outbound().has_helo_name() ? config.outbound().helo_name() : config.hostname(),
              verify_context_, opportunistic_context_),
      own_endpoints_(own_endpoints(config)) {
  client_.set_own_names({config.hostname()});
}

bool RemoteCourier::is_own_endpoint(const asio::ip::tcp::endpoint& endpoint) const {
  for (const auto& own : own_endpoints_) {
    if (own == endpoint) return true;
    if (own.address().is_unspecified() && own.port() == endpoint.port() && endpoint.address().is_loopback()) return true;
  }
  return false;
}

v1::TlsPolicy RemoteCourier::tls_policy_for(const std::string& domain) const {
  for (const auto& destination : config_.outbound().destination()) {
    if (smtp::lowercase_ascii(destination.domain()) == domain) return destination.tls();
  }
  return config_.outbound().tls();
}

asio::awaitable<std::map<std::string, v1::RecipientResult>> RemoteCourier::deliver(
    const std::string& queue_id, uint32_t, const v1::Envelope& envelope, const std::vector<std::string>& recipients,
    const std::string& message) {
  std::map<std::string, std::vector<std::string>> by_domain;
  for (const auto& rcpt : recipients) by_domain[domain_of(rcpt)].push_back(rcpt);
  std::map<std::string, v1::RecipientResult> results;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.outbound().job_timeout_ms());
  for (const auto& [domain, domain_recipients] : by_domain) {
    // Several transactions when a domain has many recipients.
    const std::size_t chunk = std::max<uint32_t>(1, config_.outbound().max_recipients_per_transaction());
    for (std::size_t i = 0; i < domain_recipients.size(); i += chunk) {
      std::vector<std::string> part(domain_recipients.begin() + static_cast<long>(i),
                                    domain_recipients.begin() + static_cast<long>(std::min(i + chunk, domain_recipients.size())));
      auto domain_results = co_await deliver_to_domain(queue_id, envelope, domain, part, message, deadline);
      results.merge(domain_results);
    }
  }
  co_return results;
}

asio::awaitable<std::map<std::string, v1::RecipientResult>> RemoteCourier::deliver_to_domain(
    const std::string& queue_id, const v1::Envelope& envelope, const std::string& domain,
    const std::vector<std::string>& recipients, const std::string& message,
    const std::chrono::steady_clock::time_point& deadline) {
  std::map<std::string, v1::RecipientResult> results;
  auto everyone = [&](v1::Outcome outcome, uint32_t code, const std::string& enhanced, const std::string& text) {
    for (const auto& rcpt : recipients) results[rcpt] = failure(rcpt, outcome, code, enhanced, text);
    return results;
  };

  const MxAnswer mx = co_await resolver_.lookup_mx(domain);
  if (metrics_) metrics_->dns_lookup("mx", dns_result(mx.status));
  if (mx.status == DnsStatus::permanent) {
    if (mx.null_mx) {  // RFC 7505 3: the domain accepts no mail
      co_return everyone(v1::PERMFAIL, 556, "5.1.10", "Recipient domain " + domain + " has a null MX (RFC 7505)");
    }
    co_return everyone(v1::PERMFAIL, 550, "5.1.2", "Recipient domain " + domain + " not found: " + mx.error);
  }
  if (mx.status == DnsStatus::temporary) {
    co_return everyone(v1::TEMPFAIL, 451, "4.4.3", "DNS lookup for " + domain + " failed: " + mx.error);
  }

  const v1::TlsPolicy tls = tls_policy_for(domain);
  OutboundMessage outbound{queue_id, envelope, recipients, &message, deadline};
  auto loops_back = [&](const std::string& why) {
    log::error("mail_loop").kv("queue_id", queue_id).kv("domain", domain).kv("reason", why);
    return everyone(v1::PERMFAIL, 554, "5.4.6", "mail for " + domain + " loops back to myself (" + why + ")");
  };
  // Postfix smtp_mx_address_limit: a domain with 100 MX records on the
  // same few addresses costs those few connections, each tried once.
  const std::size_t address_limit = std::max<uint32_t>(1, config_.outbound().mx_address_limit());
  std::set<asio::ip::address> tried;
  std::string last_error = "no MX host answered";
  bool timed_out = false;
  auto out_of_time = [&] {
    if (!timed_out && std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      last_error = "outbound.job_timeout_ms (" + std::to_string(config_.outbound().job_timeout_ms()) +
                   " ms) reached, after: " + last_error;
    }
    return timed_out;
  };
  for (const auto& host : mx.hosts) {
    if (tried.size() >= address_limit) break;
    if (out_of_time()) break;
    const AddressAnswer addresses = co_await resolver_.lookup_addresses(host.name);
    if (metrics_) metrics_->dns_lookup("address", dns_result(addresses.status));
    if (addresses.status != DnsStatus::ok) {
      last_error = host.name + ": " + addresses.error;
      continue;
    }
    for (const auto& address : addresses.addresses) {
      if (tried.size() >= address_limit || out_of_time()) break;
      if (!tried.insert(address).second) continue;
      const asio::ip::tcp::endpoint endpoint(address, static_cast<unsigned short>(config_.outbound().port()));
      // RFC 5321 5.1: an MX that is this host means a configuration error;
      // delivering to ourselves would only bounce or loop.
      if (is_own_endpoint(endpoint)) co_return loops_back(host.name + " is " + address.to_string() + ", our own MX listener");
      HostAttempt attempt = co_await client_.deliver(endpoint, host.name, tls, outbound);
      if (attempt.loops_back) co_return loops_back(attempt.error);
      if (attempt.try_next_host) {
        last_error = host.name + "[" + address.to_string() + "]: " + attempt.error;
        log::info("mx_skipped").kv("queue_id", queue_id).kv("domain", domain).kv("mx", host.name)
            .kv("address", address.to_string()).kv("reason", attempt.error);
        continue;
      }
      if (metrics_) metrics_->outbound_transaction(attempt.tls);
      for (const auto& rcpt : recipients) {
        auto it = attempt.results.find(rcpt);
        results[rcpt] = it != attempt.results.end()
                            ? it->second
                            : failure(rcpt, v1::TEMPFAIL, 451, "4.4.2", host.name + " gave no answer for this recipient");
      }
      co_return results;
    }
  }
  co_return everyone(v1::TEMPFAIL, 451, "4.4.1", "No MX host of " + domain + " accepted a connection: " + last_error);
}

}  // namespace mailpipe::mta
