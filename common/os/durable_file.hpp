#pragma once
// "Durable means fsync'd" (STYLE habit 5): the one place that writes a file
// so that, once it returns success, the file survives a crash or power
// loss: write to a temporary name, fsync the file, rename it into place,
// fsync the directory (rename(2) alone is atomic but not durable).
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace mailpipe {

class SpareFiles;

struct IoError {
  int err = 0;       // errno
  std::string what;  // "open /spool/X.msg: No space left on device"
};

// Writes <dir>/<name> (mode 0600) through the temporary name
// ".tmp-<name>-<pid>-<counter>" in the same directory, so a crash leaves
// either the old file or the new one, plus at worst a temporary that
// start-up code may delete. `name` must be one path component. On any
// failure the temporary is removed and nothing is renamed into place.
// With `spares` (of `dir`), a spare is used as the temporary when one is
// ready, so the file's creation is not part of the wait.
std::optional<IoError> write_file_durably(const std::string& dir, const std::string& name, std::string_view data,
                                          SpareFiles* spares = nullptr);
// Thread-safe, and concurrent callers for one directory share an fsync
// (group commit): each returns once an fsync that started after its call
// has finished.
std::optional<IoError> fsync_directory(const std::string& dir);
// unlink + fsync of the directory; a file that is already gone is fine.
std::optional<IoError> remove_file_durably(const std::string& dir, const std::string& name);
// mkdir -p, fsyncing each parent whose entry it created.
std::optional<IoError> make_directories(const std::string& path, mode_t mode = 0700);
std::variant<std::string, IoError> read_file(const std::string& path);

// Writes all of `data` to `fd` (retries short writes and EINTR) then fsyncs.
std::optional<IoError> write_all_and_sync(int fd, std::string_view data, const std::string& path_for_errors);

IoError io_error(std::string_view operation, const std::string& path, int err);

}  // namespace mailpipe
