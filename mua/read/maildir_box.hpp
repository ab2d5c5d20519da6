#pragma once
// A user's Maildir as `mpmail list` and `read` see it: the messages in
// new/ and cur/, numbered 1.. oldest first, and marking one seen by the
// Maildir rules (new/ -> cur/ with ":2,S", or S added in cur/).
//
// Numbers follow delivery order (file mtime, then the unique part of the
// name), which renaming for flags does not change, so a number from
// `list` still names the same message for `read`.
#include <cstdint>
#include <string>
#include <vector>

namespace mailpipe::mua {

struct MaildirEntry {
  std::string path;  // directory/new/name or directory/cur/name
  std::string name;
  bool in_new = false;
  int64_t mtime_ns = 0;
  uint64_t size = 0;
};

class MaildirBox final {
 public:
  explicit MaildirBox(std::string directory);

  // Throws Failure (Exit::failed) when the directory is not a Maildir.
  std::vector<MaildirEntry> scan() const;

  // Renames the file; returns its new path. Throws Failure when the file
  // went away (another client moved it) or cannot be renamed.
  std::string mark_seen(const MaildirEntry& entry) const;

 private:
  std::string directory_;
};

}  // namespace mailpipe::mua
