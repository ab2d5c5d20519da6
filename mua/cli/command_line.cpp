#include "mua/cli/command_line.hpp"

#include <functional>

#include "mua/cli/exit_status.hpp"

namespace mailpipe::mua {
namespace {

constexpr std::string_view usage = R"(usage: mpmail send --from ADDRESS --to ADDRESS [options]
       mpmail list --maildir DIR
       mpmail read --maildir DIR N [--save-attachments DIR]

send: compose a message and submit it (RFC 6409), or print it (--dry-run)
  --from "Name <address>"  the sender; a display name may be UTF-8
  --to, --cc ADDRESS       recipients in the header (repeatable)
  --bcc ADDRESS            blind copies: envelope only, never in the header (repeatable)
  --subject TEXT           UTF-8
  --body-file FILE         the text, UTF-8 (default: stdin)
  --attach FILE[:TYPE]     attach a file (repeatable); TYPE e.g. application/pdf,
                           else guessed from the extension
  --server HOST[:PORT]     the submission server
  --starttls               STARTTLS on port 587 (the default)
  --tls                    implicit TLS on port 465 (RFC 8314)
  --ca-file FILE           trust these CA certificates (default: the system's)
  --insecure               do not verify the certificate: for tests only
  --user ADDRESS           login name (default: the --from address)
  --password-file FILE     the password is its first line (default: ask on the
                           terminal); never on the command line
  --timeout SECONDS        for each network step (default 60)
  --partial                if some recipients are refused, send to the others
  --dry-run                print the message instead of sending it

list: one line per message in DIR/new and DIR/cur, oldest first
read: show message N (as numbered by list), mark it seen; with
  --save-attachments DIR   save its attachments there (never overwriting)

Exit status: 0 sent/ok, 1 failed (a file, the Maildir), 2 usage error,
3 login refused, 4 sender, recipient or message refused by the server,
5 cannot connect, TLS failed or connection lost.
)";

constexpr unsigned max_timeout_seconds = 3600;

[[noreturn]] void usage_error(const std::string& message) { throw Failure(Exit::usage, message); }

unsigned parse_seconds(const std::string& text) {
  unsigned value = 0;
  if (text.empty() || text.size() > 5) usage_error("--timeout " + text + ": give whole seconds");
  for (char c : text) {
    if (c < '0' || c > '9') usage_error("--timeout " + text + ": give whole seconds");
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > max_timeout_seconds) {
    usage_error("--timeout " + text + ": between 1 and " + std::to_string(max_timeout_seconds) + " seconds");
  }
  return value;
}

struct Option {
  std::string_view name;
  bool takes_value;
  std::function<void(Invocation&, const std::string&)> apply;
};

const std::vector<Option>& send_options() {
  static const std::vector<Option> options = {
      {"from", true, [](Invocation& i, const std::string& v) { i.send.from = v; }},
      {"to", true, [](Invocation& i, const std::string& v) { i.send.to.push_back(v); }},
      {"cc", true, [](Invocation& i, const std::string& v) { i.send.cc.push_back(v); }},
      {"bcc", true, [](Invocation& i, const std::string& v) { i.send.bcc.push_back(v); }},
      {"subject", true, [](Invocation& i, const std::string& v) { i.send.subject = v; }},
      {"body-file", true, [](Invocation& i, const std::string& v) { i.send.body_file = v; }},
      {"attach", true, [](Invocation& i, const std::string& v) { i.send.attach.push_back(v); }},
      {"server", true, [](Invocation& i, const std::string& v) { i.send.server = v; }},
      {"starttls", false, [](Invocation& i, const std::string&) { i.send.implicit_tls = false; }},
      {"tls", false, [](Invocation& i, const std::string&) { i.send.implicit_tls = true; }},
      {"ca-file", true, [](Invocation& i, const std::string& v) { i.send.ca_file = v; }},
      {"insecure", false, [](Invocation& i, const std::string&) { i.send.insecure = true; }},
      {"user", true, [](Invocation& i, const std::string& v) { i.send.user = v; }},
      {"password-file", true, [](Invocation& i, const std::string& v) { i.send.password_file = v; }},
      {"timeout", true, [](Invocation& i, const std::string& v) { i.send.timeout_seconds = parse_seconds(v); }},
      {"partial", false, [](Invocation& i, const std::string&) { i.send.partial = true; }},
      {"dry-run", false, [](Invocation& i, const std::string&) { i.send.dry_run = true; }},
  };
  return options;
}

const std::vector<Option>& mailbox_options() {
  static const std::vector<Option> options = {
      {"maildir", true, [](Invocation& i, const std::string& v) { i.maildir = v; }},
      {"save-attachments", true, [](Invocation& i, const std::string& v) { i.save_attachments = v; }},
  };
  return options;
}

// Options and the positional words left.
std::vector<std::string> apply_options(const std::vector<std::string>& args, const std::vector<Option>& options,
                                       Invocation& invocation) {
  std::vector<std::string> words;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--") || arg == "--") {
      words.push_back(arg);
      continue;
    }
    const std::size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (name == "password" || name == "pass") {
      usage_error("--" + name + " is no option: every user of this host could read it (ps). "
                  "Use --password-file FILE, or type it when asked");
    }
    const Option* option = nullptr;
    for (const Option& candidate : options) {
      if (candidate.name == name) option = &candidate;
    }
    if (option == nullptr) usage_error("unknown option --" + name + " for " + args[0]);
    std::string value;
    if (option->takes_value) {
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        usage_error("--" + name + " needs a value");
      }
    } else if (eq != std::string::npos) {
      usage_error("--" + name + " takes no value");
    }
    option->apply(invocation, value);
  }
  return words;
}

std::size_t parse_number(const std::string& text) {
  std::size_t value = 0;
  if (text.empty() || text.size() > 9) usage_error("\"" + text + "\" is not a message number");
  for (char c : text) {
    if (c < '0' || c > '9') usage_error("\"" + text + "\" is not a message number");
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  if (value == 0) usage_error("messages are numbered from 1");
  return value;
}

void check_send(const Invocation& invocation, const std::vector<std::string>& words) {
  const SendOptions& send = invocation.send;
  if (!words.empty()) usage_error("send takes no word \"" + words[0] + "\"; the text comes from --body-file or stdin");
  if (send.from.empty()) usage_error("send needs --from");
  if (send.to.empty() && send.cc.empty() && send.bcc.empty()) usage_error("send needs a recipient (--to, --cc or --bcc)");
  if (!send.dry_run && !send.server) usage_error("send needs --server HOST[:PORT] (or --dry-run)");
  if (send.insecure && send.ca_file) usage_error("--insecure and --ca-file contradict each other");
}

}  // namespace

Invocation parse_command_line(const std::vector<std::string>& args) {
  Invocation invocation;
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") return invocation;
  const std::string& command = args[0];
  if (command == "send") {
    invocation.command = Command::send;
    check_send(invocation, apply_options(args, send_options(), invocation));
    // The user's choice between --tls and --starttls is the last one given.
    return invocation;
  }
  if (command != "list" && command != "read") usage_error("unknown command \"" + command + "\"");
  invocation.command = command == "list" ? Command::list : Command::read;
  const std::vector<std::string> words = apply_options(args, mailbox_options(), invocation);
  if (invocation.maildir.empty()) usage_error(command + " needs --maildir DIR");
  if (invocation.command == Command::list) {
    if (!words.empty() || invocation.save_attachments) usage_error("list takes only --maildir DIR");
    return invocation;
  }
  if (words.size() != 1) usage_error("read needs one message number (see mpmail list)");
  invocation.number = parse_number(words[0]);
  return invocation;
}

std::string_view usage_text() { return usage; }

}  // namespace mailpipe::mua
