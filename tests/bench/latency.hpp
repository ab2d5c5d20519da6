#pragma once
// Percentiles of a set of latencies (nearest rank), in milliseconds.
#include <algorithm>
#include <cmath>
#include <vector>

namespace mailpipe::bench {

struct LatencySummary {
  std::size_t count = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

inline LatencySummary summarize(std::vector<double> samples_ms) {
  LatencySummary out;
  out.count = samples_ms.size();
  if (samples_ms.empty()) return out;
  std::sort(samples_ms.begin(), samples_ms.end());
  auto rank = [&](double p) {
    const auto index = static_cast<std::size_t>(std::ceil(p * static_cast<double>(samples_ms.size())));
    return samples_ms[std::min(samples_ms.size(), std::max<std::size_t>(index, 1)) - 1];
  };
  out.p50_ms = rank(0.50);
  out.p99_ms = rank(0.99);
  out.max_ms = samples_ms.back();
  return out;
}

}  // namespace mailpipe::bench
