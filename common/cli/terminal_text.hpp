#pragma once
// Text that a command-line program did not write itself, on its user's
// terminal: a message from a stranger (mpmail), a remote server's error
// or a sender address from the queue (mailpipectl). An escape sequence in
// it could retitle the window, rewrite earlier lines or worse (terminal
// escape injection), and bidi controls can disguise a file name. Every
// such string goes through one of these first. UTF-8 is decoded by
// common/text/utf8.hpp, so what counts as invalid is the same everywhere.
#include <cstddef>
#include <string>
#include <string_view>

namespace mailpipe::cli {

// For reading (mpmail): control characters go (tab and newline only where
// text has them), invalid UTF-8 shows as U+FFFD, and columns are counted
// in characters, never cutting one in half.

// One line: every control character, tab and newline included, becomes a space.
std::string terminal_line(std::string_view utf8);

// Running text: tab and newline stay, other controls become U+FFFD.
std::string terminal_text(std::string_view utf8);

// At most `columns` characters: longer text is cut and ends in "…";
// shorter text is padded with spaces when `pad`.
std::string fit_columns(std::string_view line, std::size_t columns, bool pad);

// For diagnosis (mailpipectl), where the operator needs to see which bytes
// came: C0 and C1 control characters and DEL become "\xNN" (C1 as its
// UTF-8 bytes); bytes that are not valid UTF-8 become "\xNN" too; the
// rest, including valid non-ASCII UTF-8, stays as it is.
std::string for_terminal(std::string_view text);

}  // namespace mailpipe::cli
