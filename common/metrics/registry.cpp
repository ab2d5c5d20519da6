#include "common/metrics/registry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace mailpipe::metrics {
namespace {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the valid UTF-8 sequence at the start of `s` (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), 0 if invalid.
std::size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

const char* type_name(int type) {
  static const char* const names[] = {"counter", "gauge", "histogram"};
  return names[type];
}

// `{a="x",b="y"}`, with `extra` (the histogram's le) last; "" if no labels.
std::string render_labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                          std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i] + "=\"" + escape_label_value(values[i]) + '"';
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += std::string(extra_name) + "=\"" + std::string(extra_value) + '"';
  }
  return out + '}';
}

void add_sample(std::string& out, std::string_view name, const std::string& labels, double value) {
  out.append(name).append(labels).append(" ").append(format_value(value)).append("\n");
}

std::string_view label_value(const std::string& value) { return value; }
std::string_view label_value(const Label& label) { return label.value; }
constexpr auto value_less = [](const auto& a, const auto& b) { return label_value(a) < label_value(b); };

}  // namespace

void Histogram::observe(double value) {
  if (std::isnan(value)) return;  // would poison the sum forever
  const auto& bounds = *bounds_;
  // le is inclusive: a value equal to a bound falls in that bucket.
  const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin();
  ++counts_[static_cast<std::size_t>(bucket)];
  sum_ += value;
  ++count_;
}

const std::vector<double>& latency_buckets_seconds() {
  static const std::vector<double> bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return bounds;
}

bool Registry::ValuesLess::operator()(const std::vector<std::string>& a, std::span<const Label> b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), value_less);
}

bool Registry::ValuesLess::operator()(std::span<const Label> a, const std::vector<std::string>& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), value_less);
}

Registry::Registry(std::size_t max_label_sets) : max_label_sets_(max_label_sets) {}

Registry::Family& Registry::family(std::string_view name, std::string_view help, Type type,
                                   std::span<const Label> labels, const std::vector<double>* bounds) {
  const auto refuse = [&](const std::string& why) {
    throw std::invalid_argument("metric '" + std::string(name) + "': " + why);
  };
  if (const auto it = families_.find(name); it != families_.end()) {
    Family& family = it->second;
    if (family.type != type) refuse("already registered as a " + std::string(type_name(int(family.type))));
    const bool same_names = std::equal(family.label_names.begin(), family.label_names.end(), labels.begin(),
                                       labels.end(), [](const std::string& a, const Label& b) { return a == b.name; });
    if (!same_names) refuse("label names differ from its first registration");
    if (bounds && *bounds != family.bounds) refuse("buckets differ from its first registration");
    return family;
  }
  if (!is_valid_metric_name(name)) refuse("not a valid metric name");
  Family family{type, std::string(help), {}, {}, {}};
  for (const Label& label : labels) {
    if (!is_valid_label_name(label.name)) refuse("bad label name '" + std::string(label.name) + "'");
    if (type == Type::histogram && label.name == "le") refuse("'le' is the histogram's own label");
    if (std::find(family.label_names.begin(), family.label_names.end(), label.name) != family.label_names.end()) {
      refuse("label '" + std::string(label.name) + "' given twice");
    }
    family.label_names.emplace_back(label.name);
  }
  if (bounds) {
    for (std::size_t i = 0; i < bounds->size(); ++i) {
      if (!std::isfinite((*bounds)[i]) || (i > 0 && (*bounds)[i] <= (*bounds)[i - 1])) {
        refuse("buckets must be finite and strictly increasing");
      }
    }
    family.bounds = *bounds;
  }
  return families_.emplace(std::string(name), std::move(family)).first->second;
}

Registry::Metric& Registry::child(Family& family, std::span<const Label> labels, bool& found, bool callback) {
  if (const auto it = family.children.find(labels); it != family.children.end()) {
    found = true;
    return it->second;
  }
  found = false;
  std::vector<std::string> key;
  if (family.children.size() < max_label_sets_) {
    for (const Label& label : labels) key.emplace_back(label.value);
  } else {
    if (callback) throw std::length_error("metric callbacks beyond the label-set cap");
    key.assign(family.label_names.size(), "other");
    if (const auto it = family.children.find(key); it != family.children.end()) {
      found = true;
      return it->second;
    }
  }
  return family.children.emplace(std::move(key), Metric{}).first->second;
}

template <class Value>
Value& Registry::value_child(std::string_view name, std::string_view help, Type type, std::span<const Label> labels) {
  bool found = false;
  Metric& metric = child(family(name, help, type, labels, nullptr), labels, found, false);
  if (!found) metric.emplace<Value>();
  if (auto* value = std::get_if<Value>(&metric)) return *value;
  throw std::invalid_argument("metric '" + std::string(name) + "': these labels are a callback");
}

Counter& Registry::counter(std::string_view name, std::string_view help, std::initializer_list<Label> labels) {
  return counter(name, help, std::span<const Label>(labels.begin(), labels.size()));
}

Counter& Registry::counter(std::string_view name, std::string_view help, std::span<const Label> labels) {
  return value_child<Counter>(name, help, Type::counter, labels);
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, std::initializer_list<Label> labels) {
  return gauge(name, help, std::span<const Label>(labels.begin(), labels.size()));
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, std::span<const Label> labels) {
  return value_child<Gauge>(name, help, Type::gauge, labels);
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                               std::initializer_list<Label> labels) {
  return histogram(name, help, bounds, std::span<const Label>(labels.begin(), labels.size()));
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                               std::span<const Label> labels) {
  bool found = false;
  Family& owner = family(name, help, Type::histogram, labels, &bounds);
  Metric& metric = child(owner, labels, found, false);
  if (!found) metric.emplace<Histogram>(owner.bounds);
  return std::get<Histogram>(metric);
}

void Registry::register_fn(std::string_view name, std::string_view help, Type type, std::span<const Label> labels,
                           Callback read) {
  bool found = false;
  Metric& metric = child(family(name, help, type, labels, nullptr), labels, found, true);
  if (found && !std::holds_alternative<Callback>(metric)) {
    throw std::invalid_argument("metric '" + std::string(name) + "': these labels already hold a value");
  }
  metric = std::move(read);
}

void Registry::gauge_fn(std::string_view name, std::string_view help, std::initializer_list<Label> labels,
                        std::function<double()> read) {
  register_fn(name, help, Type::gauge, std::span<const Label>(labels.begin(), labels.size()), std::move(read));
}

void Registry::counter_fn(std::string_view name, std::string_view help, std::initializer_list<Label> labels,
                          std::function<double()> read) {
  register_fn(name, help, Type::counter, std::span<const Label>(labels.begin(), labels.size()), std::move(read));
}

std::string Registry::render() const {
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + escape_help(family.help) + "\n";
    out += "# TYPE " + name + " " + type_name(int(family.type)) + "\n";
    for (const auto& [values, metric] : family.children) {
      const std::string labels = render_labels(family.label_names, values);
      if (const auto* counter = std::get_if<Counter>(&metric)) {
        add_sample(out, name, labels, counter->value());
      } else if (const auto* gauge = std::get_if<Gauge>(&metric)) {
        add_sample(out, name, labels, gauge->value());
      } else if (const auto* read = std::get_if<Callback>(&metric)) {
        add_sample(out, name, labels, *read ? (*read)() : NAN);
      } else {
        const auto& histogram = std::get<Histogram>(metric);
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i <= family.bounds.size(); ++i) {
          cumulative += histogram.counts()[i];
          const std::string le = i < family.bounds.size() ? format_value(family.bounds[i]) : "+Inf";
          add_sample(out, name + "_bucket", render_labels(family.label_names, values, "le", le),
                     static_cast<double>(cumulative));
        }
        add_sample(out, name + "_sum", labels, histogram.sum());
        add_sample(out, name + "_count", labels, static_cast<double>(histogram.count()));
      }
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  while (!value.empty()) {
    const std::size_t length = utf8_sequence_length(value);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      value.remove_prefix(1);
      continue;
    }
    const char c = value[0];
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.append(value.substr(0, length));
    value.remove_prefix(length);
  }
  return out;
}

bool is_valid_metric_name(std::string_view name) {
  if (name.empty() || !(is_name_start(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_name_start(c) || is_digit(c) || c == ':'; });
}

bool is_valid_label_name(std::string_view name) {
  // Names starting with "__" are reserved for Prometheus itself.
  if (name.empty() || !is_name_start(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_name_start(c) || is_digit(c); });
}

}  // namespace mailpipe::metrics
