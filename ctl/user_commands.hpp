#pragma once
// `mailpipectl user add|passwd|del ADDRESS`: the passwd-file the MSA and
// the MTA read (their passwd_file). The password is asked for on the
// terminal or read from stdin, hashed, and wiped from memory; the MSA and
// MTA see the change at their next reload (SIGHUP).
#include <iosfwd>
#include <string>
#include <string_view>

#include "ctl/command_line.hpp"
#include "ctl/exit_status.hpp"
#include "ctl/settings.hpp"

namespace mailpipe::ctl {

// The stored user name for `address`: checked as an RFC 5321 mailbox with
// a domain, lowercased, and refused when the passwd-file could not hold it
// (':' separates fields, a leading '#' makes a comment, spaces and control
// bytes are refused by the MSA). Throws Failure(Exit::failed).
std::string user_name_for(std::string_view address);

Exit run_user_command(const Invocation& invocation, const Settings& settings, std::ostream& out);

}  // namespace mailpipe::ctl
