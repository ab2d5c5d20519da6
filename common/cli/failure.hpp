#pragma once
// How a command-line program (mpmail, mailpipectl) gives up. Each program
// has its own exit statuses, because they are part of its interface
// (scripts test them) and the two tools' sets differ: mua/cli/exit_status.hpp,
// ctl/exit_status.hpp. The exception that carries one is the same for both.
#include <stdexcept>
#include <string>

namespace mailpipe::cli {

// A command that cannot go on. `what()` is the whole message for the
// user: what happened and, where it helps, what to do. `Exit` is the
// program's exit status enum.
template <typename Exit>
class Failure final : public std::runtime_error {
 public:
  Failure(Exit exit, const std::string& message) : std::runtime_error(message), exit_(exit) {}
  Exit exit() const { return exit_; }

 private:
  Exit exit_;
};

// How `action` ends: Exit::ok when it returns, the status of the Failure
// it throws otherwise. For tests that pin a command's exit status.
template <typename Exit, typename Action>
Exit exit_status_of(Action&& action) {
  try {
    action();
  } catch (const Failure<Exit>& failure) {
    return failure.exit();
  }
  return Exit::ok;
}

}  // namespace mailpipe::cli
