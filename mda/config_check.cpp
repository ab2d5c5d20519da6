#include "mda/config_check.hpp"

namespace mailpipe::mda {

void validate(const v1::MdaConfig& config, const ConfigFile& file) {
  file.require(config.has_endpoint(), "endpoint");
  file.require(config.has_mail_root(), "mail_root");
}

}  // namespace mailpipe::mda
