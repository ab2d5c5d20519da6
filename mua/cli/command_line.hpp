#pragma once
// mpmail's command line: `send`, `list`, `read`, `help`. Options take
// "--name value" or "--name=value". A password is never an option.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailpipe::mua {

enum class Command { help, send, list, read };

struct SendOptions {
  std::string from;
  std::vector<std::string> to;
  std::vector<std::string> cc;
  std::vector<std::string> bcc;
  std::string subject;
  std::optional<std::string> body_file;  // none or "-": stdin
  std::vector<std::string> attach;       // FILE[:media/type]
  std::optional<std::string> server;     // HOST[:PORT]
  bool implicit_tls = false;             // --tls; default --starttls
  std::optional<std::string> ca_file;
  bool insecure = false;
  std::optional<std::string> user;           // default: the From address
  std::optional<std::string> password_file;  // default: ask on the terminal
  unsigned timeout_seconds = 60;
  bool partial = false;
  bool dry_run = false;
};

struct Invocation {
  Command command = Command::help;
  SendOptions send;
  std::string maildir;
  std::size_t number = 0;
  std::optional<std::string> save_attachments;
  bool help() const { return command == Command::help; }
};

// Throws Failure (Exit::usage) saying what is wrong.
Invocation parse_command_line(const std::vector<std::string>& args);

std::string_view usage_text();

}  // namespace mailpipe::mua
