#include "tests/bench/delivery_watch.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace mailpipe::bench {
namespace {

// Our header comes first in the message; the servers put at most a few
// trace headers (Return-Path, Delivered-To, Received, X-Mail-Args ...) above it.
constexpr std::size_t header_window = 16384;

}  // namespace

DeliveryWatch::DeliveryWatch(asio::io_context& io, std::string run_id, OnDelivered on_delivered)
    : descriptor_(io),
      token_prefix_("X-Loadgen-Token: " + run_id + "."),
      on_delivered_(std::move(on_delivered)),
      events_(64 * 1024) {}

DeliveryWatch::~DeliveryWatch() {
  asio::error_code ignored;
  descriptor_.close(ignored);
}

void DeliveryWatch::add(const std::string& dir, uint32_t mask) {
  if (fd_ < 0) {
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error(std::string("inotify_init1: ") + std::strerror(errno));
    descriptor_.assign(fd_);
  }
  const int wd = ::inotify_add_watch(fd_, dir.c_str(), mask);
  if (wd < 0) throw std::runtime_error("inotify_add_watch " + dir + ": " + std::strerror(errno));
  dirs_[wd] = dir;
}

void DeliveryWatch::watch_maildir(const std::string& maildir) {
  // Maildir delivery links (or renames) a finished file from tmp/ into new/.
  add(maildir + "/new", IN_CREATE | IN_MOVED_TO);
}

void DeliveryWatch::watch_sink_dir(const std::string& dir) {
  add(dir, IN_CLOSE_WRITE | IN_MOVED_TO);
}

void DeliveryWatch::start() {
  if (fd_ >= 0) read_events();
}

void DeliveryWatch::read_events() {
  descriptor_.async_wait(asio::posix::descriptor_base::wait_read, [this](const asio::error_code& ec) {
    if (ec) return;
    const auto now = Clock::now();
    for (;;) {
      const ssize_t n = ::read(fd_, events_.data(), events_.size());
      if (n <= 0) break;
      for (ssize_t offset = 0; offset < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(events_.data() + offset);
        offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
        if (event->mask & IN_Q_OVERFLOW) {
          rescan();
          continue;
        }
        const auto dir = dirs_.find(event->wd);
        if (dir == dirs_.end() || event->len == 0 || (event->mask & IN_ISDIR)) continue;
        examine(dir->second + "/" + event->name, now);
      }
    }
    read_events();
  });
}

void DeliveryWatch::examine(const std::string& path, Clock::time_point at) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // gone already (a temporary name)
  std::string head(header_window, '\0');
  const ssize_t n = ::read(fd, head.data(), head.size());
  ::close(fd);
  if (n <= 0) return;
  head.resize(static_cast<std::size_t>(n));
  const auto found = head.find(token_prefix_);
  if (found == std::string::npos) return;
  uint64_t seq = 0;
  bool digits = false;
  for (std::size_t i = found + token_prefix_.size(); i < head.size() && head[i] >= '0' && head[i] <= '9'; ++i) {
    seq = seq * 10 + static_cast<uint64_t>(head[i] - '0');
    digits = true;
  }
  if (digits) on_delivered_(seq, at);
}

void DeliveryWatch::rescan() {
  const auto now = Clock::now();
  for (const auto& [wd, dir] : dirs_) {
    DIR* handle = ::opendir(dir.c_str());
    if (handle == nullptr) continue;
    while (const dirent* entry = ::readdir(handle)) {
      if (entry->d_name[0] == '.') continue;
      examine(dir + "/" + entry->d_name, now);
    }
    ::closedir(handle);
  }
}

}  // namespace mailpipe::bench
