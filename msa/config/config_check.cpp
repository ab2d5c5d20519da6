#include "msa/config/config_check.hpp"

#include <stdexcept>

#include "common/net/listen_address.hpp"
#include "common/transport/curve.hpp"

namespace mailpipe::msa {

void validate(const v1::MsaConfig& config, const ConfigFile& file) {
  if (config.listen_size() == 0) file.fail({"listen"}, "at least one listener is required");
  for (int i = 0; i < config.listen_size(); ++i) {
    try {
      net::parse_listen_address(config.listen(i).address());
    } catch (const std::invalid_argument& e) {
      file.fail({"listen", "address"}, e.what(), i);
    }
  }
  if (!config.has_tls()) file.fail({"tls"}, "submission needs TLS: set tls { cert_file key_file }");
  file.require(config.has_passwd_file(), "passwd_file");
  if (config.mta_endpoint_size() == 0) file.fail({"mta_endpoint"}, "at least one MTA endpoint is required");
  if (config.submit_timeout_ms() == 0) file.fail({"submit_timeout_ms"}, "must be > 0");
  if (config.mta_attempt_timeout_ms() == 0) file.fail({"mta_attempt_timeout_ms"}, "must be > 0");
  transport::validate_link(file, "mta_link", config.mta_link(),
                           {config.mta_endpoint().begin(), config.mta_endpoint().end()}, false);
}

}  // namespace mailpipe::msa
