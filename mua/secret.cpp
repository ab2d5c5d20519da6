#include "mua/secret.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "mua/exit_status.hpp"

namespace mailpipe::mua {
namespace {

// The terminal while echo is off, for the signal handler.
struct termios saved_terminal;
volatile sig_atomic_t echo_off_fd = -1;

void restore_echo_and_die(int signal) {
  if (echo_off_fd >= 0) ::tcsetattr(echo_off_fd, TCSAFLUSH, &saved_terminal);  // async-signal-safe
  std::signal(signal, SIG_DFL);
  ::raise(signal);
}

class EchoOff final {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_terminal) != 0) {
      throw Failure(Exit::usage, std::string("cannot read the terminal settings: ") + std::strerror(errno));
    }
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) std::signal(signal, restore_echo_and_die);
    struct termios quiet = saved_terminal;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;  // the Enter still shows, so output goes on on a new line
    echo_off_fd = fd_;
    if (::tcsetattr(fd_, TCSAFLUSH, &quiet) != 0) {
      echo_off_fd = -1;
      throw Failure(Exit::usage, std::string("cannot turn off echo: ") + std::strerror(errno));
    }
  }
  ~EchoOff() {
    ::tcsetattr(fd_, TCSAFLUSH, &saved_terminal);
    echo_off_fd = -1;
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) std::signal(signal, SIG_DFL);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
};

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

bool Secret::push_back(char c) {
  if (size_ == max_size) return false;
  buffer_[size_++] = c;
  return true;
}

void Secret::pop_back() {
  if (size_ > 0) buffer_[--size_] = '\0';
}

void Secret::wipe() {
  OPENSSL_cleanse(buffer_.data(), buffer_.size());
  size_ = 0;
}

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
    EchoOff quiet(fd);
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
