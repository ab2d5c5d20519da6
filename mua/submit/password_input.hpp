#pragma once
// Where mpmail's password comes from: the first line of --password-file
// or the terminal with echo off; never from argv (every user on the host
// can read that in ps) and never printed. It is held in a cli::Secret, a
// fixed buffer wiped when it goes (common/cli/secret.hpp).
#include <cstddef>
#include <string>
#include <string_view>

#include "common/cli/secret.hpp"

namespace mailpipe::mua {

inline constexpr std::size_t max_password_size = 1023;
using Secret = cli::Secret<max_password_size>;

// The first line of `path` (a final CR dropped). Throws Failure
// (Exit::usage) when the file cannot be read or the line is empty, too
// long or holds a NUL.
void read_password_file(const std::string& path, Secret& password);

// Asks on the controlling terminal (/dev/tty, so the body may still come
// from stdin) with echo off, restored on return and on SIGINT/SIGTERM.
// Throws Failure (Exit::usage) when there is no terminal.
void read_password_from_terminal(std::string_view user, Secret& password);

}  // namespace mailpipe::mua
