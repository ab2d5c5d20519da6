#include "mda/config/config_check.hpp"

#include "common/transport/curve.hpp"
#include "mda/config/delivery_rules.hpp"
#include "mda/config/lmtp_server_address.hpp"
#include "mda/config/pipe_command.hpp"

namespace mailpipe::mda {
namespace {

// Errors point at the rule (its `delivery` key): ConfigFile locates
// fields of a repeated message by the message only.
void check_rule(const v1::MdaConfig& config, const ConfigFile& file, int index) {
  const v1::DeliveryRule& rule = config.delivery(index);
  auto fail = [&](const std::string& message) {
    file.fail({"delivery"}, "rule " + std::to_string(index + 1) + ": " + message, index);
  };
  if (!rule.has_match()) fail("missing required key match (\"user@domain\", \"@domain\" or \"*\")");
  if (const std::string problem = match_pattern_problem(rule.match()); !problem.empty()) {
    fail("match \"" + rule.match() + "\" " + problem);
  }
  for (int earlier = 0; earlier < index; ++earlier) {
    if (match_shadows(config.delivery(earlier).match(), rule.match())) {
      fail("never used: rule " + std::to_string(earlier + 1) + " (match \"" + config.delivery(earlier).match() +
           "\") takes every address it matches");
    }
  }
  if (rule.timeout_ms() == 0) fail("timeout_ms must be more than 0");
  const bool lmtp = rule.method() == v1::LMTP, pipe = rule.method() == v1::PIPE;
  if (rule.has_server() && !lmtp) fail("server is for method LMTP only");
  if (rule.command_size() > 0 && !pipe) fail("command is for method PIPE only");
  if (rule.has_user() && !pipe) fail("user is for method PIPE only");
  if (lmtp) {
    if (!rule.has_server()) fail("method LMTP needs server (\"unix:/run/dovecot/lmtp\", \"127.0.0.1:24\")");
    std::string problem;
    if (!parse_lmtp_server(rule.server(), problem)) fail("server \"" + rule.server() + "\": " + problem);
  }
  if (pipe) {
    if (rule.command_size() == 0) fail("method PIPE needs command: [\"/path/to/program\", \"arg\", ...]");
    const std::string& program = rule.command(0);
    // exec'd directly: no PATH search, and never chosen by a recipient.
    if (!program.starts_with('/')) fail("command starts with \"" + program + "\": give the program's absolute path");
    if (program.find('{') != std::string::npos) fail("the program path cannot hold a placeholder");
    for (int a = 1; a < rule.command_size(); ++a) {
      if (const std::string problem = template_problem(rule.command(a)); !problem.empty()) {
        fail("command argument " + std::to_string(a) + " \"" + rule.command(a) + "\" " + problem);
      }
    }
    // A `user` for the MDA drops root for good before any command runs.
    if (rule.has_user() && config.has_user() && config.user() != rule.user()) {
      fail("user \"" + rule.user() + "\" needs the MDA to keep root, but it becomes \"" + config.user() +
           "\" (remove the MDA's user, or run the command as that user)");
    }
  }
}

// True when no address can reach a Maildir: a "*" rule sends everyone
// elsewhere and no rule before it says MAILDIR.
bool maildir_unused(const v1::MdaConfig& config) {
  for (const auto& rule : config.delivery()) {
    if (rule.method() == v1::MAILDIR) return false;
    if (rule.match() == "*") return true;
  }
  return false;
}

}  // namespace

void validate(const v1::MdaConfig& config, const ConfigFile& file) {
  file.require(config.has_endpoint(), "endpoint");
  transport::validate_link(file, "link", config.link(), {config.endpoint()}, true);
  for (int i = 0; i < config.delivery_size(); ++i) check_rule(config, file, i);
  // Without Maildirs (a "*" rule to LMTP or PIPE) there is no mail_root.
  if (!maildir_unused(config)) file.require(config.has_mail_root(), "mail_root");
}

}  // namespace mailpipe::mda
