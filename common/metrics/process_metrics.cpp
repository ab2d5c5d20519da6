#include "common/metrics/process_metrics.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace mailpipe::metrics {
namespace {

// Field `index` (0-based) of /proc/self/statm, in bytes.
double statm_bytes(int index) {
  std::ifstream statm("/proc/self/statm");
  double pages = 0;
  for (int i = 0; i <= index; ++i) {
    if (!(statm >> pages)) return NAN;
  }
  return pages * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// proc(5): field 22 of /proc/self/stat is the start time in clock ticks
// since boot; /proc/stat's btime is the boot time in epoch seconds.
double start_time_seconds() {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces.
  const std::size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) return NAN;
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  for (int number = 3; number <= 22; ++number) {
    if (!(fields >> field)) return NAN;
  }
  const double ticks = std::strtod(field.c_str(), nullptr);

  std::ifstream boot("/proc/stat");
  std::string key;
  double btime = NAN;
  while (boot >> key) {
    if (key == "btime") {
      boot >> btime;
      break;
    }
  }
  return btime + ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double cpu_seconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return NAN;
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double max_fds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return NAN;
  return limit.rlim_cur == RLIM_INFINITY ? INFINITY : static_cast<double>(limit.rlim_cur);
}

// /proc/self/fd opened once; each count reads it again through a dup
// (fdopendir takes the descriptor it is given and closes it).
class OpenFdCounter final {
 public:
  OpenFdCounter() : dir_fd_(open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
  OpenFdCounter(const OpenFdCounter&) = delete;
  OpenFdCounter& operator=(const OpenFdCounter&) = delete;
  ~OpenFdCounter() {
    if (dir_fd_ >= 0) ::close(dir_fd_);
  }

  double count() const {
    if (dir_fd_ < 0) return NAN;
    const int reading = fcntl(dir_fd_, F_DUPFD_CLOEXEC, 0);
    if (reading < 0) return NAN;
    DIR* dir = fdopendir(reading);
    if (!dir) {
      ::close(reading);
      return NAN;
    }
    rewinddir(dir);  // the dup shares the offset with every earlier reading
    double entries = 0;
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++entries;
    }
    closedir(dir);
    return entries - 2;  // neither our kept descriptor nor its dup
  }

 private:
  int dir_fd_;
};

}  // namespace

void register_process_metrics(Registry& registry) {
  registry.counter_fn("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", {},
                      cpu_seconds);
  registry.gauge_fn("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                    [] { return statm_bytes(1); });
  registry.gauge_fn("process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
                    [] { return statm_bytes(0); });
  auto fds = std::make_shared<OpenFdCounter>();
  registry.gauge_fn("process_open_fds", "Number of open file descriptors.", {}, [fds] { return fds->count(); });
  registry.gauge_fn("process_max_fds", "Maximum number of open file descriptors.", {}, max_fds);
  registry.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
      .set(start_time_seconds());
}

}  // namespace mailpipe::metrics
