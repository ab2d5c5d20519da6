#include "common/metrics/process_metrics.hpp"

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>

namespace mailpipe::metrics {
namespace {

// The value of the unlabelled sample `name` in an exposition, NaN if absent.
double sample(const std::string& exposition, const std::string& name) {
  const std::size_t at = exposition.find("\n" + name + " ");
  if (at == std::string::npos) return NAN;
  return std::stod(exposition.substr(at + name.size() + 2));
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(MetricsProcess, ReportsPlausibleValues) {
  Registry registry;
  register_process_metrics(registry);
  const std::string text = registry.render();
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE process_open_fds gauge\n"), std::string::npos) << text;
  EXPECT_GE(sample(text, "process_cpu_seconds_total"), 0);
  EXPECT_GT(sample(text, "process_resident_memory_bytes"), 100'000);
  EXPECT_GE(sample(text, "process_virtual_memory_bytes"), sample(text, "process_resident_memory_bytes"));
  EXPECT_GE(sample(text, "process_open_fds"), 3);  // stdin, stdout, stderr
  EXPECT_GE(sample(text, "process_max_fds"), sample(text, "process_open_fds"));
  const double start = sample(text, "process_start_time_seconds");
  EXPECT_LE(start, now_seconds() + 1);
  EXPECT_GT(start, now_seconds() - 3600);
}

TEST(MetricsProcess, OpenFdsFollowsDescriptorsOpenedLater) {
  Registry registry;
  register_process_metrics(registry);
  const double before = sample(registry.render(), "process_open_fds");
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const int third = dup(pipe_fds[0]);
  EXPECT_EQ(sample(registry.render(), "process_open_fds"), before + 3);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  close(third);
  EXPECT_EQ(sample(registry.render(), "process_open_fds"), before);
}

TEST(MetricsProcess, OpenFdsStillCountedAfterDroppingRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop privileges";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Registry registry;
    register_process_metrics(registry);
    if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(10);
    // Now non-dumpable (fs.suid_dumpable=0): /proc/self/fd is root's.
    const double fds = sample(registry.render(), "process_open_fds");
    _exit(std::isnan(fds) || fds < 3 ? 12 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: setuid failed, 12: no count";
}

}  // namespace
}  // namespace mailpipe::metrics
