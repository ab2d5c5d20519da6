#include "mda/maildir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>

namespace mailpipe::mda {
namespace {

std::atomic<unsigned long> delivery_counter{0};

std::string safe_hostname(std::string_view hostname) {
  std::string out;
  for (char c : hostname) {
    if (c == '/') {
      out += "\\057";
    } else if (c == ':') {
      out += "\\072";
    } else {
      out += c;
    }
  }
  return out.empty() ? "localhost" : out;
}

}  // namespace

Maildir::Maildir(std::string path) : path_(std::move(path)) {}

std::optional<IoError> Maildir::create_if_missing() {
  for (const char* sub : {"/tmp", "/new", "/cur"}) {
    if (auto error = make_directories(path_ + sub, 0700)) return error;
  }
  return std::nullopt;
}

std::string Maildir::unique_name(std::string_view hostname) {
  static thread_local std::mt19937 generator{std::random_device{}()};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - seconds);
  char random[9];
  std::snprintf(random, sizeof random, "%08x", static_cast<unsigned>(generator()));
  return std::to_string(seconds.count()) + ".M" + std::to_string(micros.count()) + "P" + std::to_string(::getpid()) +
         "Q" + std::to_string(delivery_counter.fetch_add(1)) + "R" + random + "." + safe_hostname(hostname);
}

std::variant<std::string, IoError> Maildir::deliver(std::string_view content) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return deliver_as(content, unique_name(host));
}

std::variant<std::string, IoError> Maildir::deliver_as(std::string_view content, const std::string& name) {
  if (name.empty() || name.front() == '.' || name.find('/') != std::string::npos) {
    return io_error("deliver", path_ + "/new/" + name, EINVAL);
  }
  const std::string temp = path_ + "/tmp/" + name;
  const std::string final_path = path_ + "/new/" + name;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("open", temp, errno);
  if (auto error = write_all_and_sync(fd, content, temp)) {
    ::close(fd);
    ::unlink(temp.c_str());
    return *error;
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return io_error("close", temp, err);
  }
  // link(), as the spec says: unlike rename() it fails with EEXIST rather
  // than silently replacing a message already in new/ under that name.
  // Some file systems have no hard links; there rename() is the next best.
  if (::link(temp.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    const bool no_hard_links = err == EPERM || err == ENOTSUP || err == EOPNOTSUPP || err == EMLINK;
    if (!no_hard_links || ::rename(temp.c_str(), final_path.c_str()) != 0) {
      const int final_err = no_hard_links ? errno : err;
      ::unlink(temp.c_str());
      return io_error(no_hard_links ? "rename" : "link", final_path, final_err);
    }
  } else {
    ::unlink(temp.c_str());
  }
  if (auto error = fsync_directory(path_ + "/new")) return *error;
  // The message is durable now. tmp/ is not synced: that would only keep a
  // crash from resurrecting the temporary, which readers sweep anyway
  // (Maildir spec: tmp/ files older than 36 hours), at one more fsync per
  // delivery.
  return name;
}

}  // namespace mailpipe::mda
