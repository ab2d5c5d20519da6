#pragma once
// One run of an external command on the event loop, the way Postfix's
// pipe(8) runs one: fork, then in the child a new session (so a timeout
// kills the command and everything it started), stdin from the message,
// stdout and stderr into pipes we read, every other descriptor closed,
// signal dispositions and mask reset, optionally another user (groups, gid,
// uid), then execve with a small fixed environment. No shell is involved.
//
// The parent never blocks on the child: its output pipes and its pidfd
// are awaited together with the deadline. At the deadline the process
// group gets SIGKILL. Every child is reaped (no zombies): if a killed
// child does not even die within a few seconds, a detached waiter reaps it
// later.
#include <sys/types.h>

#include <asio.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mailpipe::mda {

// Who the child becomes before exec (resolved before the fork: nothing
// between fork and exec may allocate or read /etc/passwd).
struct ChildUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, getgrouplist()
  std::string home;           // the child's working directory ("/" if unusable)
};

// Throws std::runtime_error for an unknown user or root.
ChildUser resolve_child_user(const std::string& name);

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0]: absolute path of the program
  std::vector<std::string> env;   // "KEY=value", the whole environment
  std::string input;              // the child's stdin (a sealed memfd, seekable)
  std::optional<ChildUser> user;  // nullopt: stay who we are
  std::chrono::milliseconds timeout{60000};
  std::size_t output_limit = 4096;  // bytes kept of stdout and of stderr each; the rest is read and dropped
};

struct ChildResult {
  enum class End {
    exited,       // exit_code is set
    signaled,     // killed by signal `signal` (not by us)
    timed_out,    // we killed it at the deadline
    not_started,  // fork, exec, setuid ... failed: `error` says why
  };
  End end = End::not_started;
  int exit_code = 0;
  int signal = 0;
  std::string error;
  std::string out;  // the first output_limit bytes of stdout
  std::string err;  // the first output_limit bytes of stderr
};

asio::awaitable<ChildResult> run_child(const ChildSpec& spec);

}  // namespace mailpipe::mda
