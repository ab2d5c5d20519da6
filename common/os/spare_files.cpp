#include "common/os/spare_files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace mailpipe {

SpareFiles::SpareFiles(std::string dir, std::size_t made_ahead, std::size_t kept)
    : dir_(std::move(dir)), made_ahead_(made_ahead), kept_(std::max(kept, made_ahead)) {}

SpareFiles::~SpareFiles() {
  std::lock_guard lock(mutex_);
  for (const std::string& spare : spares_) ::unlink(spare.c_str());
  for (const Pending& pending : pending_) ::unlink(pending.path.c_str());
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
  struct Done {  // also when push_back throws
    bool& refilling;
    ~Done() { refilling = false; }
  } done{refilling_};
  while (spares_.size() < made_ahead_) {
    std::string path = next_name();
    lock.unlock();  // takers need not wait for the file system
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    lock.lock();
    if (fd < 0) break;
    spares_.push_back(std::move(path));
  }
}

bool SpareFiles::recycle(const std::string& path) {
  std::unique_lock lock(mutex_);
  if (spares_.size() + pending_.size() >= kept_) return false;
  std::string spare = next_name();
  lock.unlock();
  if (::rename(path.c_str(), spare.c_str()) != 0) return false;
  // Empty from now on: no delivered mail lingers in the spool under a
  // spare's name, and no old byte can outlive the next commit's write.
  // The inode, the costly part, is what is kept.
  (void)::truncate(spare.c_str(), 0);  // a failure: the commit cuts it to size anyway
  lock.lock();
  pending_.push_back(Pending{std::move(spare), ++renames_});
  return true;
}

uint64_t SpareFiles::renames_so_far() const {
  std::lock_guard lock(mutex_);
  return renames_;
}

void SpareFiles::renames_durable(uint64_t upto) {
  std::lock_guard lock(mutex_);
  auto durable = std::stable_partition(pending_.begin(), pending_.end(),
                                       [upto](const Pending& pending) { return pending.rename <= upto; });
  for (auto it = pending_.begin(); it != durable; ++it) spares_.push_back(std::move(it->path));
  pending_.erase(pending_.begin(), durable);
}

std::size_t SpareFiles::ready() const {
  std::lock_guard lock(mutex_);
  return spares_.size();
}

}  // namespace mailpipe
