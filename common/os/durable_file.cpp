#include "common/os/durable_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>

#include "common/os/spare_files.hpp"

namespace mailpipe {
namespace {

std::atomic<unsigned long> temp_counter{0};

std::string parent_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool is_plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

}  // namespace

IoError io_error(std::string_view operation, const std::string& path, int err) {
  return IoError{err, std::string(operation) + " " + path + ": " + std::strerror(err)};
}

std::optional<IoError> write_all_and_sync(int fd, std::string_view data, const std::string& path_for_errors) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path_for_errors, errno);
    }
    // A regular file never takes zero bytes of a non-empty write; treat it
    // as an I/O error rather than spin forever.
    if (n == 0) return io_error("write", path_for_errors, EIO);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) return io_error("fsync", path_for_errors, errno);
  return std::nullopt;
}

namespace {

std::optional<IoError> fsync_directory_now(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("open", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("fsync", dir, err);
  return std::nullopt;
}

// Group commit of one directory's fsyncs. Callers ask after their own
// change (a rename, a link); an fsync that starts after that covers it,
// so while one runs, every caller that arrives waits for the next one,
// and that single fsync answers them all.
struct DirectoryFlush {
  uint64_t requested = 0;  // callers so far
  uint64_t completed = 0;  // callers covered by a finished fsync
  bool running = false;
  std::optional<IoError> result;  // of the last finished fsync
  // The last failed fsync and the callers it covered: a later success
  // proves nothing for them (Linux reports a lost writeback once).
  std::optional<IoError> failure;
  uint64_t failure_covers = 0;
  int users = 0;  // callers inside; the entry goes with the last
  std::condition_variable done;
};
std::mutex flush_mutex;
std::map<std::string, DirectoryFlush> flushes;  // by directory path

}  // namespace

std::optional<IoError> fsync_directory(const std::string& dir) {
  std::unique_lock lock(flush_mutex);
  DirectoryFlush& flush = flushes[dir];  // map nodes stay where they are
  ++flush.users;
  const uint64_t mine = ++flush.requested;
  while (flush.completed < mine) {
    if (flush.running) {
      flush.done.wait(lock);
      continue;
    }
    flush.running = true;
    const uint64_t covers = flush.requested;  // everyone who asked before it starts
    lock.unlock();
    std::optional<IoError> result;
    try {
      result = fsync_directory_now(dir);
    } catch (...) {  // bad_alloc: never leave `running` set for the others
      result = IoError{ENOMEM, "fsync " + dir + ": out of memory"};
    }
    lock.lock();
    flush.running = false;
    flush.completed = covers;
    if (result) {
      flush.failure = result;
      flush.failure_covers = covers;
    }
    flush.result = std::move(result);
    flush.done.notify_all();
  }
  // Covered by a failed fsync: its error, even if a later one succeeded.
  // Otherwise the last result, from an fsync that began after our change.
  std::optional<IoError> result = flush.failure_covers >= mine ? flush.failure : flush.result;
  if (--flush.users == 0) flushes.erase(dir);
  return result;
}

std::optional<IoError> write_file_durably(const std::string& dir, const std::string& name, std::string_view data,
                                          SpareFiles* spares) {
  // The name is one directory entry; anything else would write elsewhere.
  if (!is_plain_name(name)) return io_error("write", dir + "/" + name, EINVAL);
  const std::string final_path = dir + "/" + name;
  std::optional<std::string> spare = spares != nullptr ? spares->take() : std::nullopt;
  int fd = spare ? ::open(spare->c_str(), O_WRONLY | O_CLOEXEC) : -1;
  if (spare && fd < 0) spare.reset();  // gone (removed by hand?): make a new one
  const std::string temp = spare ? *spare
                                 : dir + "/.tmp-" + name + "-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(temp_counter.fetch_add(1));
  if (!spare) fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("open", temp, errno);
  // A recycled spare was emptied; cut it to size anyway, in case that
  // failed (before the fsync that makes the new bytes durable).
  if (spare && ::ftruncate(fd, static_cast<off_t>(data.size())) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return io_error("ftruncate", temp, err);
  }
  if (auto error = write_all_and_sync(fd, data, temp)) {
    ::close(fd);
    ::unlink(temp.c_str());
    return error;
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return io_error("close", temp, err);
  }
  if (::rename(temp.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return io_error("rename", final_path, err);
  }
  // Read before the fsync: every recycling rename counted here is covered.
  const uint64_t recycled = spares != nullptr ? spares->renames_so_far() : 0;
  std::optional<IoError> error = fsync_directory(dir);
  if (!error && spares != nullptr) spares->renames_durable(recycled);
  return error;
}

std::optional<IoError> remove_file_durably(const std::string& dir, const std::string& name) {
  if (!is_plain_name(name)) return io_error("unlink", dir + "/" + name, EINVAL);
  const std::string path = dir + "/" + name;
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return std::nullopt;
    return io_error("unlink", path, errno);
  }
  return fsync_directory(dir);
}

namespace {

// Held across stat, mkdir and the parent's fsync: a thread that finds a
// directory another thread has just made must not go on (and deliver into
// it) before that directory's entry is durable.
std::mutex mkdir_mutex;

std::optional<IoError> make_directories_locked(const std::string& path, mode_t mode) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return std::nullopt;
    return io_error("mkdir", path, ENOTDIR);
  }
  const std::string parent = parent_of(path);
  if (parent != path) {
    if (auto error = make_directories_locked(parent, mode)) return error;
  }
  if (::mkdir(path.c_str(), mode) != 0) {
    const int err = errno;
    // Someone else made it meanwhile (two deliveries to one new mailbox).
    // Fine if it is a directory, but its creator may not have fsync'd the
    // parent yet, so fall through and do it ourselves.
    if (err != EEXIST || ::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return io_error("mkdir", path, err);
  }
  // The new entry lives in the parent directory: make it durable too.
  return fsync_directory(parent);
}

}  // namespace

std::optional<IoError> make_directories(const std::string& path, mode_t mode) {
  if (path.empty()) return IoError{EINVAL, "make_directories: empty path"};
  std::lock_guard lock(mkdir_mutex);
  return make_directories_locked(path, mode);
}

std::variant<std::string, IoError> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("open", path, errno);
  // Read straight into a string of the file's size (a spool file may be a
  // megabyte or more: no bounce buffer, no growing); read on past it in
  // case the file grew, until end of file.
  struct stat st {};
  std::size_t expected = 0;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) expected = static_cast<std::size_t>(st.st_size);
  std::string data(expected + 1, '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == data.size()) data.resize(data.size() * 2);
    const ssize_t n = ::read(fd, data.data() + used, data.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return io_error("read", path, err);
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  data.resize(used);
  return data;
}

}  // namespace mailpipe
