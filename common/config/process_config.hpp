#pragma once
// The first lines of every process's run(): its config read and checked,
// logging set up from it, and the host name it goes by.
#include <string>
#include <string_view>

#include "common/config/config.hpp"
#include "common/log/log.hpp"
#include "common/os/process.hpp"

namespace mailpipe {

// Parses args.config_path into `config`, checks it with
// `validate(config, file)` (which throws with the key and line at fault),
// and starts logging as `process_name` with the config's log settings.
// Returns false for --check: the config is valid and there is nothing
// more to do.
template <class Config, class Validate>
bool load_process_config(const ProcessArgs& args, const char* process_name, Config& config, Validate validate) {
  const ConfigFile file = ConfigFile::parse(args.config_path, config);
  validate(config, file);
  log::init(process_name, config.log().debug());
  return !args.check_only;
}

// The name this process gives itself (greetings, Received, Message-ID):
// the config's hostname, else the machine's.
template <class Config>
std::string process_hostname(const Config& config) {
  return config.has_hostname() ? config.hostname() : default_hostname();
}

}  // namespace mailpipe
