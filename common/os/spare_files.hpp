#pragma once
// Temporary files made ahead of need in one directory. Creating a
// file is not free: on ext4 without a journal it took 0.3 ms here (the
// inode allocator walks recently deleted inodes), a third of a spool
// commit. A commit that takes a spare leaves that cost to a worker that
// makes the next spare while nobody waits (Postfix hides it the same way:
// cleanup creates its queue file at MAIL FROM, long before the 250).
//
// Spares are named ".tmp-spare-<pid>-<n>", so start-up code that removes
// leftover ".tmp-" files removes them after a crash; a clean stop
// (the destructor) removes them itself. Thread-safe.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mailpipe {

class SpareFiles final {
 public:
  // refill() makes up to `made_ahead`; recycle() keeps up to `kept`.
  // Made ahead for bursts, kept for the steady state (a file taken by a
  // commit comes back when its message is delivered): a refill that
  // topped up to `kept` would create the files recycling is there to save.
  SpareFiles(std::string dir, std::size_t made_ahead, std::size_t kept);
  SpareFiles(const SpareFiles&) = delete;
  SpareFiles& operator=(const SpareFiles&) = delete;
  ~SpareFiles();

  // The path of a spare, now the caller's; none when all are taken. The
  // file may hold an old file's bytes (see recycle): open it for writing
  // and cut it to the new size. No descriptor is held for spares.
  std::optional<std::string> take();
  // Makes spares until `made_ahead` are ready. Blocking file work: call it on
  // a worker. A failure (disk full) just stops: commits then create their
  // file themselves and report the error.
  void refill();
  std::size_t ready() const;
  // Fewer ready than refill() makes: a refill has work to do.
  bool low() const { return ready() < made_ahead_; }
  // Turns the file at `path` (one this process no longer needs, a delivered
  // spool file) into a spare instead of unlinking it: deleting and creating
  // files is what made ext4 slow here (each new inode is looked for past
  // the recently deleted ones). The file is emptied. It is handed out only
  // once its rename is durable (renames_durable): a commit that reused the
  // inode while the old name could still come back after a power cut
  // would bring the old name back with the new mail in it. Not durable
  // itself: a crash may bring `path` back (delivered again). false: the
  // pool is full or the rename failed; the caller unlinks `path` as before.
  bool recycle(const std::string& path);
  // For a commit in `dir`: read renames_so_far() just before an fsync of
  // the directory, and after that fsync succeeded, renames_durable() with
  // what was read: the recycled files renamed up to then become spares.
  // So recycling rides on the commits' own directory fsyncs.
  uint64_t renames_so_far() const;
  void renames_durable(uint64_t upto);

 private:
  const std::string dir_;
  const std::size_t made_ahead_;
  const std::size_t kept_;
  mutable std::mutex mutex_;
  std::string next_name();  // under mutex_

  std::vector<std::string> spares_;  // paths, ready for take()
  struct Pending {
    std::string path;
    uint64_t rename;  // renames_ after its rename
  };
  std::vector<Pending> pending_;  // recycled, rename not yet known durable
  uint64_t renames_ = 0;
  bool refilling_ = false;  // one refill at a time is enough
  unsigned long counter_ = 0;
};

}  // namespace mailpipe
