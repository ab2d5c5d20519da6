#pragma once
// Prometheus metrics of one process: counters, gauges and histograms, with
// labels, rendered in the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Threading: a Registry belongs to the process's one event-loop thread.
// Registration, updates and render() must all happen on that thread; there
// are no locks, so the hot path is a plain add.
//
// Memory: label values may come from the network (a reply code, a port
// name), so each family keeps at most `max_label_sets` children; any new
// label set beyond that is counted in one child whose every label value is
// "other". A flood of distinct values can never grow the registry.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mailpipe::metrics {

struct Label {
  std::string_view name;
  std::string_view value;
};

// Monotonic. A negative or NaN increment is ignored: a counter that went
// down would read as a process restart to Prometheus' rate().
class Counter final {
 public:
  void inc() { value_ += 1; }
  void inc(double by) {
    if (by > 0) value_ += by;
  }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

class Gauge final {
 public:
  void set(double value) { value_ = value; }
  void inc(double by = 1) { value_ += by; }
  void dec(double by = 1) { value_ -= by; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

// Fixed upper bounds (le, inclusive) chosen at creation; +Inf is implied.
class Histogram final {
 public:
  explicit Histogram(const std::vector<double>& bounds) : bounds_(&bounds), counts_(bounds.size() + 1, 0) {}
  void observe(double value);  // NaN is ignored
  const std::vector<double>& bounds() const { return *bounds_; }
  // Per bucket, not cumulative; the last one is +Inf.
  const std::vector<std::uint64_t>& counts() const { return counts_; }
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  const std::vector<double>* bounds_;  // the family's, which outlives this
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

// Latency buckets in seconds, from a fast local reply to a slow remote MX.
const std::vector<double>& latency_buckets_seconds();

class Registry final {
 public:
  static constexpr std::size_t default_max_label_sets = 1000;

  explicit Registry(std::size_t max_label_sets = default_max_label_sets);
  // References handed out must stay put.
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Finds or creates the child of family `name` with these labels. The
  // reference is valid for the registry's lifetime: keep it on hot paths.
  // Throws std::invalid_argument for a bad metric or label name, or when a
  // family is used with another type, other label names (same order) or
  // other buckets: programming errors. `help` of the first call is kept.
  Counter& counter(std::string_view name, std::string_view help, std::initializer_list<Label> labels = {});
  Counter& counter(std::string_view name, std::string_view help, std::span<const Label> labels);
  Gauge& gauge(std::string_view name, std::string_view help, std::initializer_list<Label> labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, std::span<const Label> labels);
  // `bounds`: strictly increasing and finite, e.g. latency_buckets_seconds().
  Histogram& histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                       std::initializer_list<Label> labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                       std::span<const Label> labels);

  // A value read at render time (queue length, open fds). Registering the
  // same name and labels again replaces the function. What it captures must
  // outlive the registry. Beyond the label-set cap it throws
  // std::length_error: callbacks are code, not input.
  void gauge_fn(std::string_view name, std::string_view help, std::initializer_list<Label> labels,
                std::function<double()> read);
  // The same for a counter kept elsewhere (CPU seconds from getrusage).
  void counter_fn(std::string_view name, std::string_view help, std::initializer_list<Label> labels,
                  std::function<double()> read);

  // The whole exposition, families sorted by name, children by label values.
  // Calls the callbacks: same thread as everything else.
  std::string render() const;

 private:
  enum class Type { counter, gauge, histogram };
  using Callback = std::function<double()>;
  using Metric = std::variant<Counter, Gauge, Histogram, Callback>;
  // Orders children by label values, and finds one from the caller's
  // labels without building a key (no allocation for a known child).
  struct ValuesLess {
    using is_transparent = void;
    bool operator()(const std::vector<std::string>& a, const std::vector<std::string>& b) const { return a < b; }
    bool operator()(const std::vector<std::string>& a, std::span<const Label> b) const;
    bool operator()(std::span<const Label> a, const std::vector<std::string>& b) const;
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> bounds;  // histograms only
    std::map<std::vector<std::string>, Metric, ValuesLess> children;
  };

  Family& family(std::string_view name, std::string_view help, Type type, std::span<const Label> labels,
                 const std::vector<double>* bounds);
  // The child's slot, or the "other" one beyond the cap; `found` says
  // whether it existed already.
  Metric& child(Family& family, std::span<const Label> labels, bool& found, bool callback);
  // A counter's or gauge's child (found or made); invalid_argument when
  // those labels hold a callback.
  template <class Value>
  Value& value_child(std::string_view name, std::string_view help, Type type, std::span<const Label> labels);
  void register_fn(std::string_view name, std::string_view help, Type type, std::span<const Label> labels,
                   Callback read);

  std::size_t max_label_sets_;
  std::map<std::string, Family, std::less<>> families_;
};

// Exposition-format helpers, public for the tests and the HTTP server.
// "+Inf", "-Inf", "NaN", else the shortest text that reads back the same.
std::string format_value(double value);
// Label value: backslash, double quote and newline escaped; bytes that are
// not UTF-8 become U+FFFD so one hostile value cannot spoil a scrape.
std::string escape_label_value(std::string_view value);
bool is_valid_metric_name(std::string_view name);
bool is_valid_label_name(std::string_view name);

}  // namespace mailpipe::metrics
