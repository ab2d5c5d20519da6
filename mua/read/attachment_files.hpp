#pragma once
// Saving attachments from a message, whose sender chose the names: a name
// is cut to its last path component ("../../.bashrc", "C:\\x\\a.pdf"),
// loses control bytes and leading dots (no hidden files, no "..") and is
// bounded in length; an existing file is never overwritten, a numbered
// name is used instead ("a.pdf", "a-1.pdf", ...).
#include <string>
#include <string_view>

namespace mailpipe::mua {

// NAME_MAX on Linux file systems.
constexpr std::size_t max_filename_bytes = 255;

// A safe file name for `suggested` (UTF-8 from the message), or `fallback`
// when nothing usable is left.
std::string sanitize_filename(std::string_view suggested, std::string_view fallback);

// Writes `data` to a new file in `directory` (created, mode 0700, when
// missing) named `name` or a numbered variant; returns the path. Opens
// with O_EXCL and O_NOFOLLOW, so neither an existing file nor a symlink
// planted there is written through. Throws Failure on errors.
std::string save_new_file(const std::string& directory, const std::string& name, std::string_view data);

}  // namespace mailpipe::mua
