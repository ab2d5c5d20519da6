#include "ctl/command_line.hpp"

#include <array>

#include "ctl/exit_status.hpp"

namespace mailpipe::ctl {
namespace {

constexpr std::string_view usage = R"(usage: mailpipectl [--config FILE] [--mta ENDPOINT]... COMMAND ...

  queue list [--json]          every message in every MTA's queue (like mailq)
  queue show ID [--json]       everything about one message
  queue flush [ID]             try now: one message, or all of them
  queue hold ID                no delivery attempt until released
  queue release ID             undo hold, try now
  queue delete ID              remove from the queue, no bounce
  user add ADDRESS             add a user to the passwd-file
  user passwd ADDRESS          set a user's password
  user del ADDRESS             remove a user
      [--passwd-file FILE] [--password-stdin] [--scheme yescrypt|sha512-crypt]
  check CONFIG [--kind msa|mta|mda|ctl]   validate a config file
  keygen NAME                  a CURVE key pair for a link between hosts:
                               NAME.key (0600, the key_file) and NAME.pub

  --config FILE   mailpipectl's config (default /etc/mailpipe/mailpipectl.conf)
  --mta ENDPOINT  ask this MTA admin socket instead of the configured ones
                  (ipc:///run/mailpipe/mta-admin.sock); repeatable

Exit status: 0 ok, 1 refused or failed, 2 usage error, 3 an MTA did not answer.
)";

struct Row {
  std::string_view group;
  std::string_view verb;
  Command command;
  bool takes_argument;
  bool argument_optional;
};

constexpr std::array<Row, 11> commands = {{
    {"queue", "list", Command::queue_list, false, false},
    {"queue", "show", Command::queue_show, true, false},
    {"queue", "flush", Command::queue_flush, true, true},
    {"queue", "hold", Command::queue_hold, true, false},
    {"queue", "release", Command::queue_release, true, false},
    {"queue", "delete", Command::queue_delete, true, false},
    {"user", "add", Command::user_add, true, false},
    {"user", "passwd", Command::user_passwd, true, false},
    {"user", "del", Command::user_del, true, false},
    {"check", "", Command::check, true, false},
    {"keygen", "", Command::keygen, true, false},
}};

[[noreturn]] void usage_error(const std::string& message) { throw Failure(Exit::usage, message); }

bool is_queue(Command c) {
  return c == Command::queue_list || c == Command::queue_show || c == Command::queue_flush ||
         c == Command::queue_hold || c == Command::queue_release || c == Command::queue_delete;
}
bool is_user(Command c) { return c == Command::user_add || c == Command::user_passwd || c == Command::user_del; }
bool sets_password(Command c) { return c == Command::user_add || c == Command::user_passwd; }

Command find_command(const std::vector<std::string>& words, std::size_t& used) {
  const std::string& group = words[0];
  if (group == "help") {
    used = 1;
    return Command::help;
  }
  bool group_known = false;
  for (const Row& row : commands) {
    if (row.group != group) continue;
    group_known = true;
    if (row.verb.empty()) {
      used = 1;
      return row.command;
    }
    if (words.size() > 1 && words[1] == row.verb) {
      used = 2;
      return row.command;
    }
  }
  if (!group_known) usage_error("unknown command \"" + group + "\"");
  if (words.size() < 2) usage_error("\"" + group + "\" needs a verb");
  usage_error("unknown command \"" + group + " " + words[1] + "\"");
}

const Row& row_of(Command command) {
  for (const Row& row : commands) {
    if (row.command == command) return row;
  }
  return commands[0];
}

// Options that only some commands take.
void check_options_fit(const Invocation& in) {
  if (in.json && in.command != Command::queue_list && in.command != Command::queue_show) {
    usage_error("--json is for queue list and queue show");
  }
  if (!in.mta_endpoints.empty() && !is_queue(in.command)) usage_error("--mta is for the queue commands");
  if (in.passwd_file && !is_user(in.command)) usage_error("--passwd-file is for the user commands");
  if ((in.scheme || in.password_stdin) && !sets_password(in.command)) {
    usage_error(std::string(in.scheme ? "--scheme" : "--password-stdin") + " is for user add and user passwd");
  }
  if (in.kind && in.command != Command::check) usage_error("--kind is for check");
}

}  // namespace

std::string_view usage_text() { return usage; }

Invocation parse_command_line(const std::vector<std::string>& args) {
  Invocation in;
  std::vector<std::string> words;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || !arg.starts_with("-") || arg == "-") {
      words.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      in.command = Command::help;
      return in;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (const std::size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    auto value = [&]() -> std::string {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) usage_error(name + " needs a value");
      return args[++i];
    };
    auto flag = [&]() {
      if (inline_value) usage_error(name + " takes no value");
      return true;
    };
    if (name == "--config") {
      in.config_path = value();
    } else if (name == "--mta") {
      in.mta_endpoints.push_back(value());
    } else if (name == "--json") {
      in.json = flag();
    } else if (name == "--passwd-file") {
      in.passwd_file = value();
    } else if (name == "--scheme") {
      in.scheme = value();
    } else if (name == "--password-stdin") {
      in.password_stdin = flag();
    } else if (name == "--kind") {
      in.kind = value();
    } else if (name == "--password" || name == "-p") {
      usage_error(name + ": a password is never taken from the command line (other users see it in ps); "
                  "type it when asked, or pipe it with --password-stdin");
    } else {
      usage_error("unknown option " + name);
    }
  }
  if (words.empty()) usage_error("no command given");

  std::size_t used = 0;
  in.command = find_command(words, used);
  if (in.command == Command::help) return in;
  const Row& row = row_of(in.command);
  const std::size_t arguments = words.size() - used;
  const std::string name = std::string(row.group) + (row.verb.empty() ? "" : " ") + std::string(row.verb);
  if (arguments > (row.takes_argument ? 1u : 0u)) usage_error("too many arguments for " + name);
  if (row.takes_argument && arguments == 0 && !row.argument_optional) {
    usage_error(name + " needs " + (is_user(in.command)                ? "an ADDRESS"
                                    : in.command == Command::check  ? "a CONFIG file"
                                    : in.command == Command::keygen ? "a NAME (e.g. mta1)"
                                                                    : "a queue ID"));
  }
  if (arguments == 1) in.argument = words[used];
  check_options_fit(in);
  return in;
}

}  // namespace mailpipe::ctl
