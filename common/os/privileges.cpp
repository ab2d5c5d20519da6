#include "common/os/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "common/log/log.hpp"

namespace mailpipe {
namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  throw std::runtime_error(what + ": " + std::strerror(err));
}

}  // namespace

std::optional<RunAs> resolve_run_as(const std::string& user) {
  if (user.empty()) return std::nullopt;
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  const int err = getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (err != 0) fail("user " + user, err);
  if (found == nullptr) throw std::runtime_error("user " + user + ": no such user (create it, e.g. adduser --system " + user + ")");
  if (found->pw_uid == 0) throw std::runtime_error("user " + user + ": is root; name an unprivileged user");
  return RunAs{user, found->pw_uid, found->pw_gid};
}

void give_to(const std::string& path, const RunAs& user, bool recursive) {
  if (geteuid() != 0) return;
  auto own = [&user](const std::string& name) {
    // lchown: never follow a link planted in the tree to chown elsewhere.
    if (::lchown(name.c_str(), user.uid, user.gid) != 0) fail("chown " + name + " to " + user.name, errno);
  };
  own(path);
  if (!recursive) return;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    own(it->path().string());
  }
  if (ec) fail("walk " + path, ec.value());
}

void drop_privileges(const RunAs& user) {
  if (geteuid() == user.uid && getuid() == user.uid) return;  // already that user
  if (geteuid() != 0) throw std::runtime_error("user " + user.name + ": cannot switch to it without being started as root");
  const gid_t groups[] = {user.gid};
  if (::setgroups(1, groups) != 0) fail("setgroups for " + user.name, errno);
  if (::setgid(user.gid) != 0) fail("setgid " + std::to_string(user.gid), errno);
  if (::setuid(user.uid) != 0) fail("setuid " + user.name, errno);
  // setuid as root sets real, effective and saved ids; prove it.
  if (::setuid(0) == 0 || ::geteuid() == 0) throw std::runtime_error("dropped to " + user.name + " but root came back");
  log::info("privileges_dropped").kv("user", user.name).kv("uid", user.uid).kv("gid", user.gid);
}

void warn_if_root(std::string_view process_name) {
  if (geteuid() != 0) return;
  log::warning("running_as_root").kv("reason", "no `user` in the config: set one so " + std::string(process_name) +
                                                   " drops root after binding its ports");
}

}  // namespace mailpipe
