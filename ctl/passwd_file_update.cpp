#include "ctl/passwd_file_update.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <variant>

#include "common/auth/passwd_file.hpp"
#include "common/os/durable_file.hpp"
#include "ctl/exit_status.hpp"

namespace mailpipe::ctl {
namespace {

constexpr mode_t new_file_mode = 0600;  // password hashes: owner only until the operator says otherwise
constexpr auto lock_poll = std::chrono::milliseconds(50);

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string errno_text(int err) { return std::strerror(err); }

// Closes the lock file (and so drops the flock) on every way out.
class LockFile final {
 public:
  LockFile(const std::string& path, std::chrono::milliseconds wait) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) {
      throw Failure(Exit::failed, "cannot open the lock file " + path + ": " + errno_text(errno) +
                                      " (run as the passwd-file's owner, or root)");
    }
    // Bounded: a CLI must never hang on another one.
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        const int err = errno;
        ::close(fd_);
        throw Failure(Exit::failed, "cannot lock " + path + ": " + errno_text(err));
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ::close(fd_);
        throw Failure(Exit::failed, "another mailpipectl is changing the passwd-file (it holds " + path +
                                        "); try again when it is done");
      }
      std::this_thread::sleep_for(lock_poll);
    }
  }
  ~LockFile() { ::close(fd_); }
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

struct Ownership {
  mode_t mode = new_file_mode;
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
};

Ownership ownership_of(const std::string& path, bool& exists) {
  Ownership owner;
  struct stat info {};
  exists = ::stat(path.c_str(), &info) == 0;
  if (!exists) {
    if (errno != ENOENT) throw Failure(Exit::failed, "cannot stat " + path + ": " + errno_text(errno));
    return owner;
  }
  if (!S_ISREG(info.st_mode)) throw Failure(Exit::failed, path + " is not a regular file");
  owner.mode = info.st_mode & 07777;
  owner.uid = info.st_uid;
  owner.gid = info.st_gid;
  return owner;
}

// write_file_durably's steps (common/os/durable_file.hpp), with one more
// before the rename: the temporary gets the old file's mode and owner, so
// at no moment does the passwd-file have other permissions than before.
void replace_durably(const std::string& path, std::string_view text, const Ownership& owner) {
  const std::string dir = parent_of(path);
  const std::string name = path.substr(path.find_last_of('/') + 1);
  const std::string temp = dir + "/.tmp-" + name + "-" + std::to_string(::getpid());
  ::unlink(temp.c_str());  // under the lock, one left here is from a run that died
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw Failure(Exit::failed, "cannot write " + temp + ": " + errno_text(errno));
  auto fail = [&](const std::string& what) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw Failure(Exit::failed, what + "; " + path + " is unchanged");
  };
  if (::fchown(fd, owner.uid, owner.gid) != 0) {
    fail("cannot give " + temp + " the passwd-file's owner: " + errno_text(errno) + " (run as root)");
  }
  if (::fchmod(fd, owner.mode) != 0) fail("cannot chmod " + temp + ": " + errno_text(errno));
  if (auto error = write_all_and_sync(fd, text, temp)) fail(error->what);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw Failure(Exit::failed, "close " + temp + ": " + errno_text(err) + "; " + path + " is unchanged");
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw Failure(Exit::failed, "rename " + temp + " to " + path + ": " + errno_text(err) + "; it is unchanged");
  }
  if (auto error = fsync_directory(dir)) {
    throw Failure(Exit::failed, error->what + ": the new " + path + " is in place but may not survive a crash");
  }
}

}  // namespace

std::string read_passwd_text(const std::string& path, bool missing_is_empty) {
  auto read = read_file(path);
  if (auto* error = std::get_if<IoError>(&read)) {
    if (error->err == ENOENT && missing_is_empty) return "";
    if (error->err == ENOENT) {
      throw Failure(Exit::failed, "the passwd-file " + path + " does not exist: `mailpipectl user add` makes it, "
                                  "or check passwd_file in mailpipectl.conf / --passwd-file");
    }
    throw Failure(Exit::failed, "cannot read the passwd-file: " + error->what);
  }
  return std::get<std::string>(std::move(read));
}

void update_passwd_file(const PasswdFileUpdate& update, const std::function<std::string(std::string_view)>& edit) {
  LockFile lock(update.path + ".lock", update.lock_wait);
  bool exists = false;
  const Ownership owner = ownership_of(update.path, exists);
  if (!exists && !update.create_missing) read_passwd_text(update.path, false);  // throws the right message
  const std::string before = exists ? read_passwd_text(update.path, false) : "";
  const std::string after = edit(before);
  try {
    auth::PasswdFile::parse(after, update.path);
  } catch (const std::runtime_error& e) {
    throw Failure(Exit::failed, std::string(e.what()) +
                                    ": the MSA and MTA would refuse this file at their next reload, so it is "
                                    "left as it was; fix that line by hand first");
  }
  replace_durably(update.path, after, owner);
}

}  // namespace mailpipe::ctl
