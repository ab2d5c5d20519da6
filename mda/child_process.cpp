#include "mda/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/experimental/awaitable_operators.hpp>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mailpipe::mda {
namespace {

using namespace asio::experimental::awaitable_operators;
using asio::posix::stream_descriptor;

// After SIGKILL a process dies at once unless stuck in the kernel (D
// state, a hung NFS): do not hold the delivery for it longer than this.
constexpr std::chrono::seconds kill_grace{5};
// Without a pidfd (Linux < 5.3) the exit is polled this often.
constexpr std::chrono::milliseconds exit_poll{20};

// What the child reports through the exec-status pipe when it cannot
// become the command: which step failed and its errno.
struct ChildFailure {
  int step;
  int err;
};
constexpr const char* step_names[] = {"dup2", "setsid", "setgroups", "setgid", "setuid", "execve"};

std::string errno_text(int err) { return std::strerror(err); }

// A descriptor that is not 0, 1 or 2, close-on-exec: the child's dup2s
// onto 0..2 cannot clobber it, and no other child inherits it.
int high_fd(int fd) {
  if (fd < 0 || fd > 2) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    reset();
    fd = std::exchange(other.fd, -1);
    return *this;
  }
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int release() { return std::exchange(fd, -1); }
};

struct Pipe {
  Fd read, write;
};

std::optional<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  Pipe pipe{Fd(high_fd(fds[0])), Fd(high_fd(fds[1]))};
  if (pipe.read.fd < 0 || pipe.write.fd < 0) return std::nullopt;
  return pipe;
}

// The message as the child's stdin: a memory file, so the child may read
// it at its own pace (or not at all) and even seek, and we never block
// writing into a pipe it does not drain.
Fd input_file(const std::string& input, std::string& error) {
  Fd fd(high_fd(::memfd_create("mailpipe-message", MFD_CLOEXEC)));
  if (fd.fd < 0) {
    error = "memfd_create: " + errno_text(errno);
    return Fd();
  }
  std::size_t done = 0;
  while (done < input.size()) {
    const ssize_t n = ::write(fd.fd, input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "write message to memfd: " + errno_text(errno);
      return Fd();
    }
    done += static_cast<std::size_t>(n);
  }
  if (::lseek(fd.fd, 0, SEEK_SET) != 0) {
    error = "lseek memfd: " + errno_text(errno);
    return Fd();
  }
  return fd;
}

// In the child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void become_command(const ChildSpec& spec, char* const* argv, char* const* envp, int input_fd,
                                 int out_fd, int err_fd, int status_fd, int max_fd) {
  auto fail = [status_fd](int step) {
    const ChildFailure failure{step, errno};
    [[maybe_unused]] ssize_t ignored = ::write(status_fd, &failure, sizeof failure);
    ::_exit(127);
  };
  // Default dispositions (the MDA ignores SIGPIPE; a command writing to a
  // closed pipe should die of it as usual), then unblock everything.
  struct sigaction default_action{};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  // Its own session and process group: the timeout kills the group.
  if (::setsid() < 0) fail(1);
  if (::dup2(input_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) fail(0);
  // Only 0, 1, 2 reach the command (status_fd is close-on-exec).
  if (::syscall(SYS_close_range, 3u, static_cast<unsigned>(status_fd - 1), 0u) != 0 ||
      ::syscall(SYS_close_range, static_cast<unsigned>(status_fd + 1), ~0u, 0u) != 0) {
    for (int fd = 3; fd < max_fd; ++fd) {
      if (fd != status_fd) ::close(fd);
    }
  }
  if (spec.user && spec.user->uid != ::geteuid()) {
    if (::setgroups(spec.user->groups.size(), spec.user->groups.data()) != 0) fail(2);
    if (::setgid(spec.user->gid) != 0) fail(3);
    if (::setuid(spec.user->uid) != 0) fail(4);
  }
  if (spec.user) {
    if (::chdir(spec.user->home.c_str()) != 0 && ::chdir("/") != 0) {
      // a working directory is a nicety; go on where we are
    }
  } else if (::chdir("/") != 0) {
    // same
  }
  ::execve(argv[0], argv, envp);
  fail(5);
  ::_exit(127);  // fail() never returns; says so to the compiler
}

// Reads what is there now (non-blocking) into `kept`, up to `limit`; the
// rest is dropped. False at end of file or on an error.
bool read_available(int fd, std::string& kept, std::size_t limit) {
  char chunk[16384];
  while (true) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      const std::size_t room = limit > kept.size() ? limit - kept.size() : 0;
      kept.append(chunk, std::min(room, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

// Completes when `stream` is readable; never when it is closed (then the
// other branch of a `||` wins and cancels this wait).
asio::awaitable<void> readable(stream_descriptor& stream) {
  asio::error_code ec;
  if (stream.is_open()) {
    co_await stream.async_wait(stream_descriptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    asio::steady_timer never(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    co_await never.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> expiry(asio::steady_timer& timer) {
  asio::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Completes once `pid` has exited and is reaped, with its wait status.
asio::awaitable<int> reaped(pid_t pid, stream_descriptor& pidfd) {
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) co_return status;
    if (done < 0 && errno != EINTR) co_return 0;  // not ours any more (cannot happen: nobody else reaps)
    asio::error_code ec;
    if (pidfd.is_open()) {
      co_await pidfd.async_wait(stream_descriptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    } else {
      asio::steady_timer poll(co_await asio::this_coro::executor, exit_poll);
      co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec == asio::error::operation_aborted) co_return -1;  // the caller gave up waiting
  }
}

// A child that outlived even SIGKILL's grace: reaped whenever it dies.
asio::awaitable<void> reap_later(pid_t pid, stream_descriptor pidfd) {
  co_await reaped(pid, pidfd);
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The descriptors a child may have inherited, all closed before exec.
int descriptor_limit() {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    return static_cast<int>(std::min<rlim_t>(files.rlim_cur, 1 << 20));
  }
  return 65536;
}

// A reaped child's end: a failure report on the status pipe (it never
// exec'd), our kill at the deadline, its exit code or its signal.
void say_how_it_ended(ChildResult& result, const ChildSpec& spec, int status_fd, bool killed, int wait_status) {
  ChildFailure failure{};
  const ssize_t n = ::read(status_fd, &failure, sizeof failure);
  if (n == static_cast<ssize_t>(sizeof failure) && failure.step >= 0 && failure.step <= 5) {
    result.end = ChildResult::End::not_started;
    result.error = std::string(step_names[failure.step]) + " " + (failure.step == 5 ? spec.argv.front() + ": " : "") +
                   errno_text(failure.err);
  } else if (killed) {
    result.end = ChildResult::End::timed_out;
    result.signal = SIGKILL;
  } else if (WIFEXITED(wait_status)) {
    result.end = ChildResult::End::exited;
    result.exit_code = WEXITSTATUS(wait_status);
  } else {
    result.end = ChildResult::End::signaled;
    result.signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
  }
}

}  // namespace

ChildUser resolve_child_user(const std::string& name) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  const int err = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (err != 0) throw std::runtime_error("user " + name + ": " + errno_text(err));
  if (found == nullptr) throw std::runtime_error("user " + name + ": no such user");
  if (found->pw_uid == 0) throw std::runtime_error("user " + name + ": is root; name an unprivileged user");
  ChildUser user{name, found->pw_uid, found->pw_gid, {}, found->pw_dir ? found->pw_dir : "/"};
  int count = 32;
  user.groups.resize(static_cast<std::size_t>(count));
  if (::getgrouplist(name.c_str(), user.gid, user.groups.data(), &count) < 0) {
    user.groups.resize(static_cast<std::size_t>(count));
    ::getgrouplist(name.c_str(), user.gid, user.groups.data(), &count);
  }
  user.groups.resize(static_cast<std::size_t>(count));
  if (user.home.empty() || user.home.front() != '/') user.home = "/";
  return user;
}

asio::awaitable<ChildResult> run_child(const ChildSpec& spec) {
  ChildResult result;
  if (spec.argv.empty() || spec.argv.front().empty() || spec.argv.front().front() != '/') {
    result.error = "the command must start with an absolute path";
    co_return result;
  }
  Fd input = input_file(spec.input, result.error);
  std::optional<Pipe> out = make_pipe(), err = make_pipe(), status = make_pipe();
  if (input.fd < 0) co_return result;
  if (!out || !err || !status) {
    result.error = "pipe: " + errno_text(errno);
    co_return result;
  }
  std::vector<std::string> argv_strings = spec.argv, env_strings = spec.env;
  const std::vector<char*> argv = pointers(argv_strings), envp = pointers(env_strings);
  const int max_fd = descriptor_limit();
  // No signal handler of ours may run in the child before exec (Asio's
  // handlers write to a pipe the parent shares).
  sigset_t all, previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  const pid_t pid = ::fork();
  if (pid == 0) {
    become_command(spec, argv.data(), envp.data(), input.fd, out->write.fd, err->write.fd, status->write.fd, max_fd);
  }
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0) {
    result.error = "fork: " + errno_text(fork_errno);
    co_return result;
  }
  input.reset();
  out->write.reset();
  err->write.reset();
  status->write.reset();

  const auto executor = co_await asio::this_coro::executor;
  stream_descriptor out_stream(executor, out->read.release()), err_stream(executor, err->read.release());
  out_stream.non_blocking(true);
  err_stream.non_blocking(true);
  stream_descriptor pidfd(executor);
  if (const long fd = ::syscall(SYS_pidfd_open, pid, 0); fd >= 0) pidfd.assign(high_fd(static_cast<int>(fd)));
  asio::steady_timer deadline(executor, spec.timeout);

  std::optional<int> wait_status;
  bool killed = false;
  while (!wait_status) {
    auto event = co_await (readable(out_stream) || readable(err_stream) || reaped(pid, pidfd) || expiry(deadline));
    if (event.index() == 0 && !read_available(out_stream.native_handle(), result.out, spec.output_limit)) {
      out_stream.close();
    } else if (event.index() == 1 && !read_available(err_stream.native_handle(), result.err, spec.output_limit)) {
      err_stream.close();
    } else if (event.index() == 2) {
      wait_status = std::get<2>(event);
    } else if (event.index() == 3) {
      if (killed) break;  // not dead kill_grace after SIGKILL
      // Not reaped yet, so the group id (the child's pid) is still ours.
      ::kill(-pid, SIGKILL);
      killed = true;
      deadline.expires_after(kill_grace);
    }
  }
  // What the child wrote before it ended is in the pipes; anything a
  // leftover grandchild writes later is not waited for.
  if (out_stream.is_open()) read_available(out_stream.native_handle(), result.out, spec.output_limit);
  if (err_stream.is_open()) read_available(err_stream.native_handle(), result.err, spec.output_limit);
  if (!wait_status) {
    asio::co_spawn(executor, reap_later(pid, std::move(pidfd)), asio::detached);
    result.end = ChildResult::End::timed_out;
    result.signal = SIGKILL;
    co_return result;
  }

  say_how_it_ended(result, spec, status->read.fd, killed, *wait_status);
  co_return result;
}

}  // namespace mailpipe::mda
