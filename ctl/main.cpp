// mailpipectl — the operator's tool (issue 11 "Operating it").
//
//   queue list|show|flush|hold|release|delete   asks every MTA's admin socket
//   user add|passwd|del                          edits the Dovecot passwd-file
//   check CONFIG                                 validates an msa/mta/mda/ctl config
//   keygen NAME                                  writes a CURVE key pair (NAME.key, NAME.pub)
//
// Talks to MTAs over their admin_endpoint (a local ipc:// socket whose file
// permissions are the whole of its authentication: root and admin_group),
// one request each, bounded by timeout_ms. Trusts the MTAs' answers as
// data, never as terminal output (escape sequences are neutralised).
// Passwords come from the terminal or stdin, never argv, and are wiped
// after hashing. Config (CtlConfig in proto/config.proto, default
// /etc/mailpipe/mailpipectl.conf, flags override it): mta_admin_endpoint,
// timeout_ms, passwd_file.
//
// Exit status: 0 ok, 1 refused or failed, 2 usage error, 3 an MTA did not
// answer within timeout_ms.
#include <iostream>
#include <optional>
#include <string>

#include "common/cli/program.hpp"
#include "common/config/config.hpp"
#include "ctl/command_line.hpp"
#include "ctl/config_check.hpp"
#include "ctl/exit_status.hpp"
#include "ctl/keygen_command.hpp"
#include "ctl/queue_commands.hpp"
#include "ctl/settings.hpp"
#include "ctl/user_commands.hpp"

namespace {

using namespace mailpipe;
using namespace mailpipe::ctl;

Exit run_check(const Invocation& invocation) {
  std::optional<ConfigKind> kind;
  if (invocation.kind) {
    kind = config_kind_named(*invocation.kind);
    if (!kind) throw Failure(Exit::usage, "--kind " + *invocation.kind + ": use msa, mta, mda or ctl");
  } else {
    kind = infer_config_kind(invocation.argument);
    if (!kind) {
      throw Failure(Exit::usage, "cannot tell from its name which process reads " + invocation.argument +
                                     " (msa*.conf, mta*.conf, mda*.conf, mailpipectl*.conf): add --kind msa|mta|mda|ctl");
    }
  }
  check_config(invocation.argument, *kind);  // ConfigError: file:line:column
  std::cout << invocation.argument << ": ok (" << config_kind_name(*kind) << ")\n";
  return Exit::ok;
}

Exit run(const Invocation& invocation) {
  switch (invocation.command) {
    case Command::check:
      return run_check(invocation);
    case Command::keygen:
      return keygen(invocation.argument, std::cout);
    default:
      break;
  }
  const Settings settings = Settings::load(invocation);
  switch (invocation.command) {
    case Command::queue_list: return queue_list(settings, invocation.json, std::cout, std::cerr);
    case Command::queue_show: return queue_show(settings, invocation.argument, invocation.json, std::cout, std::cerr);
    case Command::queue_flush: return queue_action(settings, v1::QUEUE_FLUSH, invocation.argument, std::cout, std::cerr);
    case Command::queue_hold: return queue_action(settings, v1::QUEUE_HOLD, invocation.argument, std::cout, std::cerr);
    case Command::queue_release:
      return queue_action(settings, v1::QUEUE_RELEASE, invocation.argument, std::cout, std::cerr);
    case Command::queue_delete:
      return queue_action(settings, v1::QUEUE_DELETE, invocation.argument, std::cout, std::cerr);
    default: return run_user_command(invocation, settings, std::cout);
  }
}

// A ConfigError says file:line:column itself, so it goes out without the
// program's name in front.
Exit run_reporting_config_errors(const Invocation& invocation) {
  try {
    return run(invocation);
  } catch (const ConfigError& error) {
    std::cerr << error.what() << "\n";
    return Exit::failed;
  }
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run_program("mailpipectl", argc, argv, parse_command_line, run_reporting_config_errors, usage_text);
}
