#include "common/spare_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace mailpipe {

SpareFiles::SpareFiles(std::string dir, std::size_t made_ahead, std::size_t kept)
    : dir_(std::move(dir)), made_ahead_(made_ahead), kept_(std::max(kept, made_ahead)) {}

SpareFiles::~SpareFiles() {
  std::lock_guard lock(mutex_);
  for (const TempFile& spare : spares_) {
    ::close(spare.fd);
    ::unlink(spare.path.c_str());
  }
}

std::optional<TempFile> SpareFiles::take() {
  std::lock_guard lock(mutex_);
  if (spares_.empty()) return std::nullopt;
  TempFile spare = std::move(spares_.back());
  spares_.pop_back();
  return spare;
}

void SpareFiles::refill() {
  std::unique_lock lock(mutex_);
  if (refilling_) return;
  refilling_ = true;
  while (spares_.size() < made_ahead_) {
    const std::string path = dir_ + "/.tmp-spare-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
    lock.unlock();  // takers need not wait for the file system
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    lock.lock();
    if (fd < 0) break;
    spares_.push_back(TempFile{fd, path});
  }
  refilling_ = false;
}

bool SpareFiles::recycle(const std::string& path) {
  std::unique_lock lock(mutex_);
  if (spares_.size() >= kept_) return false;
  const std::string spare = dir_ + "/.tmp-spare-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
  lock.unlock();
  if (::rename(path.c_str(), spare.c_str()) != 0) return false;
  const int fd = ::open(spare.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    ::unlink(spare.c_str());  // gone from `path` all the same
    return true;
  }
  // The blocks of small files are kept for the next one to overwrite; a
  // big one gives its space back now (64 spares of 25 MiB mail would keep
  // over a gigabyte of disk). The inode, the costly part, stays.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > static_cast<off_t>(kept_bytes_each)) (void)::ftruncate(fd, 0);
  lock.lock();
  spares_.push_back(TempFile{fd, spare});
  return true;
}

std::size_t SpareFiles::ready() const {
  std::lock_guard lock(mutex_);
  return spares_.size();
}

}  // namespace mailpipe
