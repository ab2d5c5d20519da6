#pragma once
// What a mailpipectl run works with: its config file (CtlConfig in
// proto/config.proto, default /etc/mailpipe/mailpipectl.conf) with the
// command-line flags laid over it. A missing default file is fine as long
// as the flags say what the command needs.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"
#include "config.pb.h"
#include "ctl/command_line.hpp"
#include "ctl/exit_status.hpp"

namespace mailpipe::ctl {

inline constexpr const char* default_config_path = "/etc/mailpipe/mailpipectl.conf";

class Settings final {
 public:
  // Throws ConfigError for a config that does not parse or validate, and
  // Failure for an explicit --config that cannot be read.
  static Settings load(const Invocation& invocation);

  // The MTAs to ask; Failure(usage) saying how to name one when none is.
  const std::vector<std::string>& mta_endpoints() const;
  std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(config_.timeout_ms()); }
  // Failure(usage) saying how to name it when neither flag nor config does.
  const std::string& passwd_file() const;

 private:
  Failure missing(std::string_view question, std::string_view absent, std::string_view what_to_put,
                  std::string_view config_line, std::string_view flag) const;
  std::string config_path_;
  bool config_found_ = false;
  v1::CtlConfig config_;
  std::vector<std::string> endpoints_;
  std::string passwd_file_;
};

// What a CtlConfig must say beyond its schema. Throws ConfigError
// "file:line:col: key: what is wrong".
void validate(const v1::CtlConfig& config, const ConfigFile& file);

}  // namespace mailpipe::ctl
