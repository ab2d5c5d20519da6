#pragma once
// Changes a passwd-file in place the safe way, for `mailpipectl user`:
//  - under an exclusive flock(2) on "FILE.lock" beside it, so two runs at
//    once cannot both read the old file and lose one's edit (the lock is
//    on a separate file because the passwd-file itself is replaced);
//  - the new text must load as the MSA would load it (PasswdFile), so an
//    edit never leaves a file that the next reload refuses;
//  - replaced atomically and durably (temp file, fsync, rename, fsync of
//    the directory) with the old file's mode and owner, so readers see the
//    old file or the new one and keep their access to it.
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace mailpipe::ctl {

struct PasswdFileUpdate {
  std::string path;
  // A missing file is created (mode 0600) only when this is set (user add).
  bool create_missing = false;
  // How long to wait for another mailpipectl holding the lock.
  std::chrono::milliseconds lock_wait{10000};
};

// Reads the file (empty text when missing and create_missing), applies
// `edit` (which throws Failure to refuse) and writes the result. Throws
// Failure with what went wrong and what to do.
void update_passwd_file(const PasswdFileUpdate& update, const std::function<std::string(std::string_view)>& edit);

// What is in the file now (empty when missing); Failure if unreadable.
std::string read_passwd_text(const std::string& path, bool missing_is_empty);

}  // namespace mailpipe::ctl
