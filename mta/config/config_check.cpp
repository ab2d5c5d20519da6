#include "mta/config/config_check.hpp"

#include <stdexcept>

#include "common/smtp/address.hpp"
#include "common/net/listen_address.hpp"
#include "common/transport/curve.hpp"

namespace mailpipe::mta {
namespace {

void validate_mx(const v1::MtaConfig& config, const ConfigFile& file) {
  const v1::MxConfig& mx = config.mx();
  if (mx.listen_size() == 0) file.fail({"mx", "listen"}, "at least one listener is required");
  for (int i = 0; i < mx.listen_size(); ++i) {
    try {
      net::parse_listen_address(mx.listen(i).address());
    } catch (const std::invalid_argument& e) {
      file.fail({"mx", "listen", "address"}, e.what(), i);
    }
    if (mx.listen(i).tls() != v1::STARTTLS) {
      file.fail({"mx", "listen", "tls"}, "other servers speak plaintext first on port 25: use tls: STARTTLS", i);
    }
  }
  if (config.local_domain_size() > 0 && !config.has_passwd_file()) {
    file.fail({"passwd_file"}, "the inbound MX needs passwd_file to refuse unknown local users (550 5.1.1)");
  }
  for (int i = 0; i < mx.relay_domain_size(); ++i) {
    for (const auto& local : config.local_domain()) {
      if (smtp::lowercase_ascii(local) == smtp::lowercase_ascii(mx.relay_domain(i))) {
        file.fail({"mx", "relay_domain"}, "is also a local_domain: mail for it is delivered here", i);
      }
    }
  }
}

}  // namespace

void validate(const v1::MtaConfig& config, const ConfigFile& file) {
  file.require(config.has_intake_endpoint(), "intake_endpoint");
  file.require(config.has_mda_endpoint(), "mda_endpoint");
  file.require(config.has_spool_dir(), "spool_dir");
  if (config.deliver_timeout_ms() == 0) file.fail({"deliver_timeout_ms"}, "must be > 0");
  if (config.retry().first_retry_ms() == 0) file.fail({"retry", "first_retry_ms"}, "must be > 0");
  if (config.max_local_deliveries() == 0) file.fail({"max_local_deliveries"}, "must be > 0");
  if (config.max_remote_deliveries() == 0) file.fail({"max_remote_deliveries"}, "must be > 0");
  if (config.outbound().job_timeout_ms() == 0) file.fail({"outbound", "job_timeout_ms"}, "must be > 0");
  if (config.outbound().max_connections_per_destination() == 0) {
    file.fail({"outbound", "max_connections_per_destination"}, "must be > 0");
  }
  if (config.alias_expansion_limit() == 0) file.fail({"alias_expansion_limit"}, "must be > 0");
  // Our own Received field is always there: 0 would refuse every message.
  if (config.max_received_headers() == 0) file.fail({"max_received_headers"}, "must be > 0");
  if (config.has_mx()) validate_mx(config, file);
  transport::validate_link(file, "intake_link", config.intake_link(), {config.intake_endpoint()}, true);
  transport::validate_link(file, "mda_link", config.mda_link(), {config.mda_endpoint()}, false);
  if (config.has_admin_endpoint() && (!config.admin_endpoint().starts_with("ipc:///") ||
                                      config.admin_endpoint().size() <= 7)) {
    file.fail({"admin_endpoint"}, "must be a local socket, ipc:///path (its file permissions decide who may use it)");
  }
}

}  // namespace mailpipe::mta
