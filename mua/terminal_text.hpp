#pragma once
// Text from a message on the user's terminal. A message is written by a
// stranger: an escape sequence in a subject could retitle the window,
// rewrite earlier lines or worse, and bidi controls can disguise a file
// name. So control characters go (tab and newline only where text has
// them), invalid UTF-8 shows as U+FFFD, and columns are counted in
// characters, never cutting one in half.
#include <cstddef>
#include <string>
#include <string_view>

namespace mailpipe::mua {

// One line: every control character, tab and newline included, becomes a space.
std::string terminal_line(std::string_view utf8);

// Running text: tab and newline stay, other controls become U+FFFD.
std::string terminal_text(std::string_view utf8);

// At most `columns` characters: longer text is cut and ends in "…";
// shorter text is padded with spaces when `pad`.
std::string fit_columns(std::string_view line, std::size_t columns, bool pad);

}  // namespace mailpipe::mua
