#pragma once
// Cutting text into pieces at a separator: the lines of a config-like file
// (the passwd-file, the aliases file), the words of a text to fold, the
// CRLF lines of a message.
#include <string_view>
#include <vector>

namespace mailpipe {

// The pieces between `separator`s, empty ones included; a separator at the
// very end does not start another piece ("a,b," is "a" "b"; "" is none).
std::vector<std::string_view> split_at(std::string_view text, std::string_view separator);
std::vector<std::string_view> split_at(std::string_view text, char separator);

// The lines of a file: split at LF, a CR before the LF dropped, so files
// written with CRLF read the same.
std::vector<std::string_view> text_lines(std::string_view text);

}  // namespace mailpipe
