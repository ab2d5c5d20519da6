#pragma once
// Where a new password comes from: the terminal (asked twice, typed
// without echo) or one line of stdin (--password-stdin, for scripts).
// Never argv: every user on the host can read it in ps.
#include <cstddef>

#include "common/cli/secret.hpp"

namespace mailpipe::ctl {

// libxcrypt takes passphrases shorter than CRYPT_MAX_PASSPHRASE_SIZE (512).
inline constexpr std::size_t max_password_size = 511;
using Secret = cli::Secret<max_password_size>;

// One line from `fd` up to "\n" or end of input; a final "\r" is dropped.
// Throws Failure for an empty password, a NUL byte or one longer than
// Secret::max_size.
void read_password_line(int fd, Secret& password);

// Prompts on stderr and reads the password twice from the terminal on
// stdin with echo off (restored on return and on SIGINT/SIGTERM/SIGHUP);
// Failure when stdin is not a terminal or the two differ.
void read_password_from_terminal(Secret& password);

}  // namespace mailpipe::ctl
