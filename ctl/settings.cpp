#include "ctl/settings.hpp"

#include <sys/stat.h>

#include <cerrno>

#include "ctl/exit_status.hpp"

namespace mailpipe::ctl {
namespace {

bool known_transport(const std::string& endpoint) {
  return (endpoint.starts_with("ipc://") && endpoint.size() > 6) ||
         (endpoint.starts_with("tcp://") && endpoint.size() > 6);
}

}  // namespace

void validate(const v1::CtlConfig& config, const ConfigFile& file) {
  for (int i = 0; i < config.mta_admin_endpoint_size(); ++i) {
    if (!known_transport(config.mta_admin_endpoint(i))) {
      file.fail({"mta_admin_endpoint"}, "must be the MTA's admin_endpoint, e.g. \"ipc:///run/mailpipe/mta-admin.sock\"",
                i);
    }
  }
  if (config.timeout_ms() == 0) file.fail({"timeout_ms"}, "must be more than 0");
  if (config.has_passwd_file() && config.passwd_file().empty()) file.fail({"passwd_file"}, "must not be empty");
}

Settings Settings::load(const Invocation& invocation) {
  Settings settings;
  settings.config_path_ = invocation.config_path.value_or(default_config_path);
  struct stat info {};
  const bool exists = ::stat(settings.config_path_.c_str(), &info) == 0;
  if (exists || invocation.config_path) {
    // An explicit --config that is missing is an error (ConfigFile says
    // which file and why); the default may be absent.
    validate(settings.config_, ConfigFile::parse(settings.config_path_, settings.config_));
    settings.config_found_ = true;
  }
  for (const std::string& endpoint : invocation.mta_endpoints) {
    if (!known_transport(endpoint)) {
      throw Failure(Exit::usage, "--mta " + endpoint +
                                     ": not an MTA admin endpoint; give the MTA's admin_endpoint, e.g. "
                                     "--mta ipc:///run/mailpipe/mta-admin.sock");
    }
  }
  if (!invocation.mta_endpoints.empty()) {
    settings.endpoints_ = invocation.mta_endpoints;
  } else {
    settings.endpoints_.assign(settings.config_.mta_admin_endpoint().begin(), settings.config_.mta_admin_endpoint().end());
  }
  settings.passwd_file_ = invocation.passwd_file.value_or(settings.config_.passwd_file());
  return settings;
}

// A setting in neither the config file nor the flags: what is missing,
// and the two ways to give it.
Failure Settings::missing(std::string_view question, std::string_view absent, std::string_view what_to_put,
                          std::string_view config_line, std::string_view flag) const {
  const std::string where = config_found_ ? config_path_ + " " + std::string(absent) : config_path_ + " does not exist";
  return Failure(Exit::usage, std::string(question) + " " + where + ". " + std::string(what_to_put) + ":\n  " +
                                  std::string(config_line) + "\nor give it on the command line: " + std::string(flag));
}

const std::vector<std::string>& Settings::mta_endpoints() const {
  if (endpoints_.empty()) {
    throw missing("no MTA to ask:", "names no MTA", "Put the MTA's admin_endpoint in it, one line per MTA",
                  "mta_admin_endpoint: \"ipc:///run/mailpipe/mta-admin.sock\"",
                  "--mta ipc:///run/mailpipe/mta-admin.sock");
  }
  return endpoints_;
}

const std::string& Settings::passwd_file() const {
  if (passwd_file_.empty()) {
    throw missing("which passwd-file?", "has no passwd_file",
                  "Put the one the MSA and MTA read (their passwd_file) in it",
                  "passwd_file: \"/etc/mailpipe/passwd\"", "--passwd-file /etc/mailpipe/passwd");
  }
  return passwd_file_;
}

}  // namespace mailpipe::ctl
