#include "mua/submit/password_input.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/cli/echo_off.hpp"
#include "mua/cli/exit_status.hpp"

namespace mailpipe::mua {
namespace {

// One line from `fd`, byte by byte so nothing after it is consumed.
void read_line(int fd, Secret& password, const std::string& source) {
  password.wipe();
  bool too_long = false;
  bool has_nul = false;
  for (;;) {
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Failure(Exit::usage, "cannot read the password from " + source + ": " + std::strerror(errno));
    if (n == 0 || c == '\n') break;
    if (c == '\0') has_nul = true;
    if (!password.push_back(c)) too_long = true;
  }
  if (!password.empty() && password.view().back() == '\r') password.pop_back();
  if (too_long || has_nul) {
    password.wipe();
    throw Failure(Exit::usage, "the password in " + source + " is " +
                                   (too_long ? "longer than " + std::to_string(Secret::max_size) + " bytes"
                                             : "not text (it holds a NUL byte)"));
  }
  if (password.empty()) throw Failure(Exit::usage, "the password from " + source + " is empty");
}

}  // namespace

void read_password_file(const std::string& path, Secret& password) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Failure(Exit::usage, "cannot open the password file " + path + ": " + std::strerror(errno));
  try {
    read_line(fd, password, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

void read_password_from_terminal(std::string_view user, Secret& password) {
  const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    throw Failure(Exit::usage, "no terminal to ask for the password: give --password-file FILE (its first line)");
  }
  try {
    const cli::EchoOff quiet(fd, Exit::usage);
    const std::string prompt = "Password for " + std::string(user) + ": ";
    (void)!::write(fd, prompt.data(), prompt.size());
    read_line(fd, password, "the terminal");
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

}  // namespace mailpipe::mua
