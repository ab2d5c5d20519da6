#pragma once
// The standard process metrics every Prometheus client library exports
// (https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics),
// read from /proc and getrusage at render time:
//   process_cpu_seconds_total       user + system CPU (counter)
//   process_resident_memory_bytes   /proc/self/statm
//   process_virtual_memory_bytes    /proc/self/statm
//   process_open_fds                entries of /proc/self/fd
//   process_max_fds                 RLIMIT_NOFILE (soft)
//   process_start_time_seconds      since the Unix epoch, from /proc
// A value that cannot be read renders as NaN rather than a made-up number.
#include "common/metrics/registry.hpp"

namespace mailpipe::metrics {

// Call before drop_privileges(): it opens /proc/self/fd then and keeps it,
// because after setuid the kernel makes the process non-dumpable and its
// /proc/self/fd can no longer be opened (process_open_fds would be NaN).
// That one directory descriptor is not counted.
void register_process_metrics(Registry& registry);

}  // namespace mailpipe::metrics
