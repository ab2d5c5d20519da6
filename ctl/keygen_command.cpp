#include "ctl/keygen_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/cli/terminal_text.hpp"
#include "common/transport/curve.hpp"

namespace mailpipe::ctl {
namespace {

// Creates `path` (never replacing a file) with `mode`, writes, fsyncs.
// A half-written file is removed, so a retry does not find it in the way.
void write_new_file(const std::string& path, const std::string& content, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) {
      throw Failure(Exit::failed, cli::for_terminal(path) + " exists: keygen never replaces a key (every peer that "
                                  "lists it would be locked out); remove it first, or choose another NAME");
    }
    throw Failure(Exit::failed, "cannot create " + cli::for_terminal(path) + ": " + std::strerror(error));
  }
  // umask may have taken bits away from a .pub; a .key is never wider.
  bool ok = ::fchmod(fd, mode) == 0;
  std::size_t done = 0;
  while (ok && done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int error = errno;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlink(path.c_str());
    throw Failure(Exit::failed, "cannot write " + cli::for_terminal(path) + ": " + std::strerror(error));
  }
}

}  // namespace

Exit keygen(const std::string& name, std::ostream& out) {
  if (name.empty() || name.ends_with('/') || name.ends_with(".key") || name.ends_with(".pub")) {
    throw Failure(Exit::usage, "keygen NAME: give a name without .key or .pub, e.g. mailpipectl keygen mta1");
  }
  const std::string key_path = name + ".key";
  const std::string pub_path = name + ".pub";
  // Both or neither: check the second before writing the first.
  if (std::filesystem::exists(std::filesystem::symlink_status(pub_path))) {
    throw Failure(Exit::failed, cli::for_terminal(pub_path) + " exists: keygen never replaces a key; remove " +
                                    cli::for_terminal(key_path) + " and " + cli::for_terminal(pub_path) +
                                    " first, or choose another NAME");
  }
  const transport::CurveKeyPair pair = transport::generate_curve_key_pair();
  write_new_file(key_path,
                 "# CURVE key pair (mailpipectl keygen): the key_file of a link in a mailpipe config.\n"
                 "# Secret: keep it mode 0600, readable by the process only, on this host.\n"
                 "public_key: \"" + pair.public_key + "\"\n"
                 "secret_key: \"" + pair.secret_key + "\"\n",
                 0600);
  try {
    write_new_file(pub_path, pair.public_key + "\n", 0644);
  } catch (const Failure&) {
    ::unlink(key_path.c_str());
    throw;
  }
  out << "wrote " << cli::for_terminal(key_path) << " (key pair, 0600) and " << cli::for_terminal(pub_path)
      << " (public key)\npublic key: " << pair.public_key << "\n";
  return Exit::ok;
}

}  // namespace mailpipe::ctl
