// PIPE delivery: real commands (/bin/sh scripts) run on the event loop;
// exit codes, timeouts, what the command gets (stdin, descriptors,
// environment, user) and that no child is left behind.
#include "mda/pipe_delivery.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.hpp"

namespace mailpipe::mda {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

ChildResult run(ChildSpec spec) {
  asio::io_context io;
  ChildResult result;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { result = co_await run_child(spec); }, asio::detached);
  io.run_for(20s);
  return result;
}

ChildSpec shell(const std::string& script, std::chrono::milliseconds timeout = 5s) {
  ChildSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.timeout = timeout;
  return spec;
}

// Children of this process that are zombies (exited, not reaped).
int zombie_children() {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string text;
    if (!std::getline(stat, text)) continue;
    const std::size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 2));
    char state = 0;
    pid_t parent = 0;
    fields >> state >> parent;
    if (parent == ::getpid() && state == 'Z') ++count;
  }
  return count;
}

ChildResult exited(int code, std::string err = "") {
  ChildResult r;
  r.end = ChildResult::End::exited;
  r.exit_code = code;
  r.err = std::move(err);
  return r;
}

TEST(PipeResult, ExitCodesMapToOutcomes) {
  const auto ok = pipe_result("b@x", "/usr/bin/procmail", exited(0), 1s);
  EXPECT_EQ(ok.outcome(), v1::DELIVERED);
  EXPECT_EQ(ok.status().code(), 250u);
  EXPECT_EQ(ok.status().enhanced(), "2.0.0");
  for (int code : {75, 71, 73, 74}) {  // EX_TEMPFAIL, EX_OSERR, EX_CANTCREAT, EX_IOERR
    const auto later = pipe_result("b@x", "/p", exited(code), 1s);
    EXPECT_EQ(later.outcome(), v1::TEMPFAIL) << code;
    EXPECT_EQ(later.status().code(), 451u);
    EXPECT_EQ(later.status().enhanced(), "4.3.0");
  }
  EXPECT_NE(pipe_result("b@x", "/p", exited(75), 1s).status().text().find("EX_TEMPFAIL"), std::string::npos);
  for (int code : {1, 2, 64, 67, 69, 77, 78, 126, 127, 255}) {
    const auto never = pipe_result("b@x", "/p", exited(code), 1s);
    EXPECT_EQ(never.outcome(), v1::PERMFAIL) << code;
    EXPECT_EQ(never.status().code(), 550u);
    EXPECT_EQ(never.status().enhanced(), "5.3.0");
    EXPECT_NE(never.status().text().find("exited with " + std::to_string(code)), std::string::npos);
  }
}

TEST(PipeResult, PermanentFailureQuotesTheFirstLineOfStderrOnly) {
  const auto never = pipe_result("b@x", "/p", exited(1, "\nno such folder: Inbox\r\nsecond line\n"), 1s);
  EXPECT_EQ(never.status().text(), "/p exited with 1: no such folder: Inbox");
}

TEST(PipeResult, SignalsTimeoutsAndExecFailuresAreTemporary) {
  ChildResult killed;
  killed.end = ChildResult::End::signaled;
  killed.signal = SIGSEGV;
  EXPECT_EQ(pipe_result("b@x", "/p", killed, 1s).outcome(), v1::TEMPFAIL);
  EXPECT_NE(pipe_result("b@x", "/p", killed, 1s).status().text().find("SIGSEGV"), std::string::npos);
  ChildResult late;
  late.end = ChildResult::End::timed_out;
  const auto timeout = pipe_result("b@x", "/p", late, 1500ms);
  EXPECT_EQ(timeout.outcome(), v1::TEMPFAIL);
  EXPECT_EQ(timeout.status().enhanced(), "4.3.0");
  EXPECT_NE(timeout.status().text().find("1500 ms"), std::string::npos);
  ChildResult missing;
  missing.error = "execve /nope: No such file or directory";
  EXPECT_EQ(pipe_result("b@x", "/nope", missing, 1s).outcome(), v1::TEMPFAIL);
}

TEST(ChildProcess, GetsTheInputOnStdinAndItsOutputIsCaptured) {
  ChildSpec spec = shell("cat; echo to-stderr >&2; exit 3");
  spec.input = "line one\nline two\n";
  const ChildResult r = run(spec);
  ASSERT_EQ(r.end, ChildResult::End::exited) << r.error;
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "line one\nline two\n");
  EXPECT_EQ(r.err, "to-stderr\n");
}

TEST(ChildProcess, OutputIsBoundedButTheChildIsNotBlocked) {
  ChildSpec spec = shell("head -c 1000000 /dev/zero; echo done >&2");
  spec.output_limit = 100;
  const ChildResult r = run(spec);
  ASSERT_EQ(r.end, ChildResult::End::exited) << r.error;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.size(), 100u);
  EXPECT_EQ(r.err, "done\n");
}

TEST(ChildProcess, OnlyStdinStdoutAndStderrReachTheCommand) {
  // A descriptor of ours, not close-on-exec, must not leak either.
  const int leaky = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaky, 3);
  const ChildResult r = run(shell("ls /proc/self/fd"));
  ::close(leaky);
  ASSERT_EQ(r.end, ChildResult::End::exited) << r.error;
  // ls itself holds one more: the directory it lists.
  std::istringstream names(r.out);
  std::vector<int> fds;
  for (int fd; names >> fd;) fds.push_back(fd);
  ASSERT_GE(fds.size(), 3u) << r.out;
  EXPECT_EQ(fds[0], 0);
  EXPECT_EQ(fds[1], 1);
  EXPECT_EQ(fds[2], 2);
  EXPECT_LE(fds.size(), 4u) << r.out;
}

TEST(ChildProcess, EnvironmentIsOnlyWhatWeGive) {
  ::setenv("MAILPIPE_SECRET_TEST", "x", 1);
  ChildSpec spec = shell("env");
  spec.env = {"PATH=/usr/bin:/bin", "HOME=/"};
  const ChildResult r = run(spec);
  ::unsetenv("MAILPIPE_SECRET_TEST");
  EXPECT_EQ(r.out.find("MAILPIPE_SECRET_TEST"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HOME=/\n"), std::string::npos) << r.out;
}

TEST(ChildProcess, SigpipeIsDefaultAgainInTheChild) {
  // The MDA ignores SIGPIPE; a command writing into a closed pipe must die
  // of it as usual ("yes | head" ends).
  ::signal(SIGPIPE, SIG_IGN);
  const ChildResult r = run(shell("yes | head -n 1 >/dev/null; echo ok"));
  ASSERT_EQ(r.end, ChildResult::End::exited) << r.error;
  EXPECT_EQ(r.out, "ok\n");
}

TEST(ChildProcess, TimeoutKillsTheCommandAndWhatItStarted) {
  const auto start = std::chrono::steady_clock::now();
  const ChildResult r = run(shell("sleep 30 & echo $! ; sleep 30", 300ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(r.end, ChildResult::End::timed_out);
  // The background sleep was in the same process group: gone too.
  const pid_t grandchild = static_cast<pid_t>(std::stol(r.out));
  // Dead: no such process, or a zombie that init has yet to reap.
  auto dead = [grandchild] {
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) return true;
    return text.substr(text.rfind(')') + 2, 1) == "Z";
  };
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = dead();
    if (!gone) ::usleep(20000);
  }
  EXPECT_TRUE(gone) << grandchild;
  EXPECT_EQ(zombie_children(), 0);
}

TEST(ChildProcess, ACommandThatDaemonizesDoesNotHoldTheDelivery) {
  // setsid'd grandchild keeps stdout open; the exit of the command counts.
  const auto start = std::chrono::steady_clock::now();
  const ChildResult r = run(shell("setsid sleep 3 & exit 0", 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
  EXPECT_EQ(r.end, ChildResult::End::exited);
}

TEST(ChildProcess, ExecFailureIsReportedNotAnExitCode) {
  ChildSpec spec;
  spec.argv = {"/nonexistent/program"};
  const ChildResult r = run(spec);
  EXPECT_EQ(r.end, ChildResult::End::not_started);
  EXPECT_NE(r.error.find("No such file"), std::string::npos) << r.error;
  spec.argv = {"relative/program"};
  EXPECT_EQ(run(spec).end, ChildResult::End::not_started);
}

TEST(ChildProcess, EveryChildIsReaped) {
  for (int i = 0; i < 5; ++i) run(shell(i % 2 ? "exit 1" : "kill -9 $$"));
  EXPECT_EQ(zombie_children(), 0);
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);  // ECHILD: nothing left to reap
}

TEST(ChildProcess, RunsAsAnotherUserWhenRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  ChildSpec spec = shell("id -u; id -g; pwd");
  spec.user = resolve_child_user("nobody");
  const ChildResult r = run(spec);
  ASSERT_EQ(r.end, ChildResult::End::exited) << r.error << r.err;
  std::ostringstream expected;
  expected << spec.user->uid << "\n" << spec.user->gid << "\n";
  EXPECT_TRUE(r.out.starts_with(expected.str())) << r.out;
}

TEST(ChildProcess, UnknownUserOrRootIsRefused) {
  EXPECT_THROW(resolve_child_user("no-such-user-mailpipe"), std::runtime_error);
  EXPECT_THROW(resolve_child_user("root"), std::runtime_error);
}

// One delivery of `request` to `recipient` through `target`, run to its end.
PipeOutcome deliver_once(const PipeTarget& target, const v1::Deliver& request, const std::string& recipient) {
  asio::io_context io;
  PipeOutcome outcome;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    const PipeOutcome delivered = co_await deliver_by_pipe(target, request, recipient);
    outcome = delivered;
  }, asio::detached);
  io.run_for(10s);
  return outcome;
}

TEST(PipeDelivery, MessageArrivesLikeAMaildirFileAndArgumentsAreExpanded) {
  const test_support::TempDir temp("pipe");
  const std::string& dir = temp.path();
  PipeTarget target;
  target.command = {"/bin/sh", "-c", "cat > \"$0/$1\"", dir, "{user}"};
  target.timeout = 5s;
  v1::Deliver request;
  request.mutable_envelope()->set_mail_from("alice@remote.test");
  request.mutable_envelope()->set_queue_id("01Q");
  request.set_message("Subject: hi\r\n\r\nbody\r\n");
  const PipeOutcome outcome = deliver_once(target, request, "bob@example.test");
  EXPECT_EQ(outcome.result.outcome(), v1::DELIVERED) << outcome.result.status().text();
  std::ifstream in(dir + "/bob");
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), "Return-Path: <alice@remote.test>\nDelivered-To: bob@example.test\nSubject: hi\n\nbody\n");
}

TEST(PipeDelivery, DashValueIsRefusedWithoutRunningAnything) {
  PipeTarget target;
  target.command = {"/bin/sh", "-c", "touch /tmp/mailpipe-must-not-exist", "{user}"};
  const PipeOutcome outcome = deliver_once(target, v1::Deliver{}, "-rf@example.test");
  EXPECT_EQ(outcome.result.outcome(), v1::PERMFAIL);
  EXPECT_EQ(outcome.result.status().enhanced(), "5.1.3");
  EXPECT_FALSE(outcome.run);
  EXPECT_FALSE(fs::exists("/tmp/mailpipe-must-not-exist"));
}

}  // namespace
}  // namespace mailpipe::mda
