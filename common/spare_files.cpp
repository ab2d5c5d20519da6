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
  for (const std::string& spare : spares_) ::unlink(spare.c_str());
}

std::string SpareFiles::next_name() {
  return dir_ + "/.tmp-spare-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++);
}

std::optional<std::string> SpareFiles::take() {
  std::lock_guard lock(mutex_);
  if (spares_.empty()) return std::nullopt;
  std::string spare = std::move(spares_.back());
  spares_.pop_back();
  return spare;
}

void SpareFiles::refill() {
  std::unique_lock lock(mutex_);
  if (refilling_) return;
  refilling_ = true;
  while (spares_.size() < made_ahead_) {
    std::string path = next_name();
    lock.unlock();  // takers need not wait for the file system
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    lock.lock();
    if (fd < 0) break;
    spares_.push_back(std::move(path));
  }
  refilling_ = false;
}

bool SpareFiles::recycle(const std::string& path) {
  std::unique_lock lock(mutex_);
  if (spares_.size() >= kept_) return false;
  std::string spare = next_name();
  lock.unlock();
  if (::rename(path.c_str(), spare.c_str()) != 0) return false;
  // The blocks of small files are kept for the next one to overwrite; a
  // big one gives its space back now (64 spares of 25 MiB mail would keep
  // over a gigabyte of disk). The inode, the costly part, stays.
  struct stat st {};
  if (::stat(spare.c_str(), &st) == 0 && st.st_size > static_cast<off_t>(kept_bytes_each)) {
    (void)::truncate(spare.c_str(), 0);  // a failure only keeps the blocks a while
  }
  lock.lock();
  spares_.push_back(std::move(spare));
  return true;
}

std::size_t SpareFiles::ready() const {
  std::lock_guard lock(mutex_);
  return spares_.size();
}

}  // namespace mailpipe
