// mpmail — the mail user agent of mailpipe (issue 9).
//
//   send   compose an RFC 5322 message with MIME (UTF-8 headers as RFC 2047
//          words, text as 7bit or quoted-printable, attachments in base64)
//          and submit it over STARTTLS (587) or implicit TLS (465) with AUTH
//          (compose/ and submit/, on common/mime/)
//   list   the messages of a Maildir (read/)
//   read   one message decoded, its attachments saved, marked seen (read/)
//
// Trusts: the user and the files they name. Distrusts: the server's
// replies and every message it reads (bounded MIME parser, nothing from a
// message reaches the terminal unfiltered, attachment names sanitized,
// existing files never overwritten). The password comes from a file or
// the terminal, never argv, and is never printed. No config file.
//
// Exit status: 0 ok, 1 failed, 2 usage, 3 login refused, 4 refused by the
// server, 5 cannot connect / TLS / connection lost (cli/exit_status.hpp).
#include <iostream>

#include "common/cli/program.hpp"
#include "mua/cli/command_line.hpp"
#include "mua/cli/exit_status.hpp"
#include "mua/read/mailbox_commands.hpp"
#include "mua/submit/send_command.hpp"

namespace {

using namespace mailpipe::mua;

Exit run(const Invocation& invocation) {
  switch (invocation.command) {
    case Command::help:  // answered by run_program
      break;
    case Command::send:
      return run_send(invocation.send, std::cin, std::cout, std::cerr);
    case Command::list:
      return list_messages(invocation.maildir, std::cout);
    case Command::read:
      return read_message({invocation.maildir, invocation.number, invocation.save_attachments}, std::cout, std::cerr);
  }
  return Exit::usage;
}

}  // namespace

int main(int argc, char** argv) {
  return mailpipe::cli::run_program("mpmail", argc, argv, parse_command_line, run, usage_text);
}
