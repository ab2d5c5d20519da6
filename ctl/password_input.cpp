#include "ctl/password_input.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/cli/echo_off.hpp"
#include "ctl/exit_status.hpp"

namespace mailpipe::ctl {
namespace {

void prompt(const char* text) {
  const std::size_t length = std::strlen(text);
  (void)!::write(STDERR_FILENO, text, length);
}

}  // namespace

void read_password_line(int fd, Secret& password) {
  password.wipe();
  bool too_long = false;
  bool has_nul = false;
  for (;;) {
    char c;
    const ssize_t n = ::read(fd, &c, 1);  // byte by byte: nothing after the line is consumed
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Failure(Exit::failed, std::string("cannot read the password: ") + std::strerror(errno));
    if (n == 0 || c == '\n') break;
    if (c == '\0') has_nul = true;
    if (!password.push_back(c)) too_long = true;  // read on to the end of the line anyway
  }
  if (!password.empty() && password.view().back() == '\r') password.pop_back();
  if (too_long) {
    password.wipe();
    throw Failure(Exit::failed, "password refused: longer than " + std::to_string(Secret::max_size) + " bytes");
  }
  if (has_nul) {
    password.wipe();
    throw Failure(Exit::failed, "password refused: it holds a NUL byte, which no client can send");
  }
  if (password.empty()) throw Failure(Exit::failed, "password refused: it is empty");
}

void read_password_from_terminal(Secret& password) {
  if (!::isatty(STDIN_FILENO)) {
    throw Failure(Exit::failed,
                  "stdin is not a terminal, so the password cannot be asked for: "
                  "pipe it in with --password-stdin (one line), or run this from a terminal");
  }
  Secret again;
  {
    const cli::EchoOff quiet(STDIN_FILENO, Exit::failed);
    prompt("New password: ");
    read_password_line(STDIN_FILENO, password);
    prompt("Retype new password: ");
    read_password_line(STDIN_FILENO, again);
  }
  if (!password.same_as(again)) {
    password.wipe();
    throw Failure(Exit::failed, "the two passwords differ; nothing changed. Run the command again");
  }
}

}  // namespace mailpipe::ctl
