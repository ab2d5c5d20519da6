#include "mua/read/maildir_box.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mua/cli/exit_status.hpp"
#include "mua/read/maildir_flags.hpp"

namespace mailpipe::mua {
namespace {

bool is_directory(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void scan_folder(const std::string& folder, bool in_new, std::vector<MaildirEntry>& entries) {
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) throw Failure(Exit::failed, "cannot read " + folder + ": " + std::strerror(errno));
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.empty() || name.front() == '.') continue;  // ".", "..", and dot files are not messages
    MaildirEntry message;
    message.path = folder + "/" + name;
    struct stat st{};
    // lstat: a symlink in a Maildir is not a message we should follow.
    if (::lstat(message.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    message.name = name;
    message.in_new = in_new;
    message.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    message.size = static_cast<uint64_t>(st.st_size);
    entries.push_back(std::move(message));
  }
  ::closedir(dir);
}

}  // namespace

MaildirBox::MaildirBox(std::string directory) : directory_(std::move(directory)) {
  while (directory_.size() > 1 && directory_.back() == '/') directory_.pop_back();
}

std::vector<MaildirEntry> MaildirBox::scan() const {
  if (!is_directory(directory_ + "/new") || !is_directory(directory_ + "/cur")) {
    throw Failure(Exit::failed, directory_ + " is not a Maildir (it needs new/ and cur/)");
  }
  std::vector<MaildirEntry> entries;
  scan_folder(directory_ + "/new", true, entries);
  scan_folder(directory_ + "/cur", false, entries);
  std::sort(entries.begin(), entries.end(), [](const MaildirEntry& a, const MaildirEntry& b) {
    if (a.mtime_ns != b.mtime_ns) return a.mtime_ns < b.mtime_ns;
    if (unique_part(a.name) != unique_part(b.name)) return unique_part(a.name) < unique_part(b.name);
    return a.name < b.name;
  });
  return entries;
}

std::string MaildirBox::mark_seen(const MaildirEntry& entry) const {
  const std::string name = with_flag(entry.name, 'S');
  const std::string target = directory_ + "/cur/" + name;
  if (!entry.in_new && name == entry.name) return entry.path;
  if (::rename(entry.path.c_str(), target.c_str()) != 0) {
    if (errno == ENOENT) {
      throw Failure(Exit::failed, entry.path + " was moved meanwhile (another mail client?): not marked seen");
    }
    throw Failure(Exit::failed, "cannot mark " + entry.path + " seen: " + std::strerror(errno));
  }
  return target;
}

}  // namespace mailpipe::mua
