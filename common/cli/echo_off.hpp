#pragma once
// Typing a password with echo off. The terminal's settings come back when
// the EchoOff goes and also when SIGINT, SIGTERM, SIGHUP or SIGQUIT ends
// the program meanwhile: a Ctrl-C must not leave the terminal mute.
#include <optional>
#include <string>

#include "common/cli/failure.hpp"

namespace mailpipe::cli {

class EchoOff final {
 public:
  // Echo off on terminal `fd` (the Enter still shows, so output goes on
  // on a new line). Throws Failure(exit_on_error) when the terminal will
  // not have it; the exit status is the program's.
  template <typename Exit>
  EchoOff(int fd, Exit exit_on_error) : fd_(fd) {
    if (std::optional<std::string> error = turn_off(fd_)) throw Failure<Exit>(exit_on_error, *error);
  }
  ~EchoOff() { restore(fd_); }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  // What went wrong, for the user; nullopt when echo is off.
  static std::optional<std::string> turn_off(int fd);
  static void restore(int fd);

  int fd_;
};

}  // namespace mailpipe::cli
