#pragma once
// Text from the queue reaches the operator's terminal: a remote server's
// error message, a sender address. An escape sequence in it could rewrite
// the screen or the window title (terminal escape injection), so every
// string `mailpipectl` prints that it did not write itself goes through
// here first.
#include <string>
#include <string_view>

namespace mailpipe::ctl {

// C0 and C1 control characters and DEL become "\xNN" (C1 as its UTF-8
// bytes); bytes that are not valid UTF-8 become "\xNN" too; the rest,
// including valid non-ASCII UTF-8, stays as it is.
std::string for_terminal(std::string_view text);

}  // namespace mailpipe::ctl
