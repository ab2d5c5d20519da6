#pragma once
// `mpmail send`: turns the command line into a message (outgoing_mail),
// prints it for --dry-run, else submits it (submission over a
// smtp::client::StreamChannel) and prints the server's answer.
#include <istream>
#include <ostream>

#include "mua/cli/command_line.hpp"
#include "mua/cli/exit_status.hpp"

namespace mailpipe::mua {

// `in` is the body when no --body-file is given. Throws Failure for
// problems found before connecting; the server's refusals and network
// failures come back as the exit status with the reason on `err`.
Exit run_send(const SendOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace mailpipe::mua
