#include "common/cli/echo_off.hpp"

#include <signal.h>
#include <termios.h>

#include <cerrno>
#include <csignal>
#include <cstring>

namespace mailpipe::cli {
namespace {

// The terminal while echo is off, for the signal handler.
struct termios saved_terminal;
volatile sig_atomic_t echo_off_fd = -1;

void restore_echo_and_die(int signal) {
  if (echo_off_fd >= 0) ::tcsetattr(echo_off_fd, TCSAFLUSH, &saved_terminal);  // async-signal-safe
  std::signal(signal, SIG_DFL);
  ::raise(signal);
}

}  // namespace

std::optional<std::string> EchoOff::turn_off(int fd) {
  if (::tcgetattr(fd, &saved_terminal) != 0) {
    return std::string("cannot read the terminal settings: ") + std::strerror(errno);
  }
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) std::signal(signal, restore_echo_and_die);
  struct termios quiet = saved_terminal;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  echo_off_fd = fd;
  if (::tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
    echo_off_fd = -1;
    return std::string("cannot turn off echo: ") + std::strerror(errno);
  }
  return std::nullopt;
}

void EchoOff::restore(int fd) {
  ::tcsetattr(fd, TCSAFLUSH, &saved_terminal);
  echo_off_fd = -1;
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) std::signal(signal, SIG_DFL);
}

}  // namespace mailpipe::cli
