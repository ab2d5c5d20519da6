#pragma once
// mailpipectl's command line: options may come before or after the
// command words; "--opt value" and "--opt=value" both work; "--" ends the
// options. Which options a command takes is checked here, so a misplaced
// one is a usage error instead of being silently ignored.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailpipe::ctl {

enum class Command {
  help,
  queue_list,
  queue_show,
  queue_flush,
  queue_hold,
  queue_release,
  queue_delete,
  user_add,
  user_passwd,
  user_del,
  check,
  keygen,
};

struct Invocation {
  bool help() const { return command == Command::help; }
  Command command = Command::help;
  std::string argument;  // queue id, address, config file or key name; may be empty (queue flush)
  std::optional<std::string> config_path;  // --config
  std::vector<std::string> mta_endpoints;  // --mta, repeatable
  bool json = false;
  std::optional<std::string> passwd_file;  // --passwd-file
  std::optional<std::string> scheme;       // --scheme
  bool password_stdin = false;
  std::optional<std::string> kind;         // --kind
};

// Throws Failure(Exit::usage, what is wrong).
Invocation parse_command_line(const std::vector<std::string>& args);

std::string_view usage_text();

}  // namespace mailpipe::ctl
