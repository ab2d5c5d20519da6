#include "common/metrics/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace mailpipe::metrics {
namespace {

TEST(MetricsRegistry, RendersCounterWithHelpAndType) {
  Registry registry;
  Counter& received = registry.counter("mailpipe_received_total", "Messages accepted.");
  received.inc();
  received.inc(2);
  EXPECT_EQ(registry.render(),
            "# HELP mailpipe_received_total Messages accepted.\n"
            "# TYPE mailpipe_received_total counter\n"
            "mailpipe_received_total 3\n");
}

TEST(MetricsRegistry, CounterIgnoresNegativeAndNanIncrements) {
  Registry registry;
  Counter& counter = registry.counter("c_total", "h");
  counter.inc(1.5);
  counter.inc(-1);
  counter.inc(NAN);
  EXPECT_EQ(counter.value(), 1.5);
}

TEST(MetricsRegistry, RendersGaugeAfterSetIncAndDec) {
  Registry registry;
  Gauge& sessions = registry.gauge("mailpipe_smtp_sessions", "Open SMTP sessions.", {{"port", "mx"}});
  sessions.set(5);
  sessions.inc();
  sessions.dec(2.5);
  EXPECT_EQ(registry.render(),
            "# HELP mailpipe_smtp_sessions Open SMTP sessions.\n"
            "# TYPE mailpipe_smtp_sessions gauge\n"
            "mailpipe_smtp_sessions{port=\"mx\"} 3.5\n");
}

TEST(MetricsRegistry, GaugeCallbackIsReadAtRenderTime) {
  Registry registry;
  int queued = 1;
  registry.gauge_fn("mailpipe_queue_messages", "Messages in the queue.", {}, [&] { return double(queued); });
  queued = 42;
  EXPECT_EQ(registry.render(),
            "# HELP mailpipe_queue_messages Messages in the queue.\n"
            "# TYPE mailpipe_queue_messages gauge\n"
            "mailpipe_queue_messages 42\n");
  registry.gauge_fn("mailpipe_queue_messages", "Messages in the queue.", {}, [] { return 7.0; });
  EXPECT_NE(registry.render().find("mailpipe_queue_messages 7\n"), std::string::npos);
}

TEST(MetricsRegistry, CounterCallbackRendersAsCounter) {
  Registry registry;
  registry.counter_fn("process_cpu_seconds_total", "CPU.", {}, [] { return 0.25; });
  EXPECT_EQ(registry.render(),
            "# HELP process_cpu_seconds_total CPU.\n"
            "# TYPE process_cpu_seconds_total counter\n"
            "process_cpu_seconds_total 0.25\n");
}

TEST(MetricsRegistry, RendersHistogramCumulativeBucketsWithInfSumAndCount) {
  Registry registry;
  const std::vector<double> bounds{0.005, 0.1, 1};
  Histogram& latency = registry.histogram("mailpipe_delivery_seconds", "Delivery time.", bounds, {{"via", "smtp"}});
  latency.observe(0.001);
  latency.observe(0.1);  // le is inclusive
  latency.observe(0.5);
  latency.observe(120);
  latency.observe(NAN);
  EXPECT_EQ(registry.render(),
            "# HELP mailpipe_delivery_seconds Delivery time.\n"
            "# TYPE mailpipe_delivery_seconds histogram\n"
            "mailpipe_delivery_seconds_bucket{via=\"smtp\",le=\"0.005\"} 1\n"
            "mailpipe_delivery_seconds_bucket{via=\"smtp\",le=\"0.1\"} 2\n"
            "mailpipe_delivery_seconds_bucket{via=\"smtp\",le=\"1\"} 3\n"
            "mailpipe_delivery_seconds_bucket{via=\"smtp\",le=\"+Inf\"} 4\n"
            "mailpipe_delivery_seconds_sum{via=\"smtp\"} 120.601\n"
            "mailpipe_delivery_seconds_count{via=\"smtp\"} 4\n");
}

TEST(MetricsRegistry, UnlabelledHistogramHasOnlyLe) {
  Registry registry;
  registry.histogram("h_seconds", "h", {1}).observe(2);
  EXPECT_EQ(registry.render(),
            "# HELP h_seconds h\n# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"1\"} 0\nh_seconds_bucket{le=\"+Inf\"} 1\n"
            "h_seconds_sum 2\nh_seconds_count 1\n");
}

TEST(MetricsRegistry, FamiliesSortByNameAndChildrenByLabelValues) {
  Registry registry;
  registry.counter("smtp_replies_total", "Replies.", {{"code", "550"}, {"port", "mx"}}).inc();
  registry.counter("smtp_replies_total", "Replies.", {{"code", "250"}, {"port", "submission"}}).inc(3);
  registry.counter("smtp_replies_total", "Replies.", {{"code", "250"}, {"port", "mx"}}).inc(2);
  registry.gauge("a_first", "First.").set(1);
  EXPECT_EQ(registry.render(),
            "# HELP a_first First.\n"
            "# TYPE a_first gauge\n"
            "a_first 1\n"
            "# HELP smtp_replies_total Replies.\n"
            "# TYPE smtp_replies_total counter\n"
            "smtp_replies_total{code=\"250\",port=\"mx\"} 2\n"
            "smtp_replies_total{code=\"250\",port=\"submission\"} 3\n"
            "smtp_replies_total{code=\"550\",port=\"mx\"} 1\n");
}

TEST(MetricsRegistry, SameNameAndLabelsReturnTheSameReference) {
  Registry registry;
  Counter& first = registry.counter("c_total", "h", {{"code", "250"}});
  for (int i = 0; i < 100; ++i) registry.counter("c_total", "h", {{"code", std::to_string(i)}});
  const std::string code = "250";
  const std::vector<Label> labels{{"code", code}};
  EXPECT_EQ(&first, &registry.counter("c_total", "h", labels));
  EXPECT_NE(&first, &registry.counter("c_total", "h", {{"code", "251"}}));
}

TEST(MetricsRegistry, LabelValuesAreEscapedAndInvalidUtf8Replaced) {
  Registry registry;
  registry.counter("c_total", "h", {{"v", "a\\b\"c\nd"}}).inc();
  registry.counter("c_total", "h", {{"v", "caf\xC3\xA9 \xFF\xC0\xAF\xED\xA0\x80!"}}).inc();
  EXPECT_EQ(registry.render(),
            "# HELP c_total h\n# TYPE c_total counter\n"
            "c_total{v=\"a\\\\b\\\"c\\nd\"} 1\n"
            "c_total{v=\"caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!\"} 1\n");
}

TEST(MetricsRegistry, HelpEscapesBackslashAndNewlineOnly) {
  Registry registry;
  registry.gauge("g", "a \"quoted\" back\\slash\nnext");
  EXPECT_EQ(registry.render(), "# HELP g a \"quoted\" back\\\\slash\\nnext\n# TYPE g gauge\ng 0\n");
}

TEST(MetricsRegistry, LabelSetsBeyondTheCapCountIntoOther) {
  Registry registry(3);
  for (int i = 0; i < 10; ++i) {
    registry.counter("smtp_replies_total", "h", {{"code", std::to_string(500 + i)}, {"port", "mx"}}).inc();
  }
  EXPECT_EQ(registry.render(),
            "# HELP smtp_replies_total h\n# TYPE smtp_replies_total counter\n"
            "smtp_replies_total{code=\"500\",port=\"mx\"} 1\n"
            "smtp_replies_total{code=\"501\",port=\"mx\"} 1\n"
            "smtp_replies_total{code=\"502\",port=\"mx\"} 1\n"
            "smtp_replies_total{code=\"other\",port=\"other\"} 7\n");
  // A label set known before the cap was reached keeps its own child.
  registry.counter("smtp_replies_total", "h", {{"code", "501"}, {"port", "mx"}}).inc();
  EXPECT_NE(registry.render().find("{code=\"501\",port=\"mx\"} 2\n"), std::string::npos);
}

TEST(MetricsRegistry, CallbacksBeyondTheCapAreRefused) {
  Registry registry(1);
  registry.gauge_fn("g", "h", {{"k", "a"}}, [] { return 1.0; });
  EXPECT_THROW(registry.gauge_fn("g", "h", {{"k", "b"}}, [] { return 2.0; }), std::length_error);
}

TEST(MetricsRegistry, InvalidMetricNamesAreRefused) {
  Registry registry;
  for (const char* bad : {"", "1abc", "a-b", "a b", "caf\xC3\xA9", "a{b}"}) {
    EXPECT_THROW(registry.counter(bad, "h"), std::invalid_argument) << bad;
  }
  EXPECT_NO_THROW(registry.counter("a:b_c9", "h"));
  EXPECT_NO_THROW(registry.gauge(":colon_first", "h"));
  EXPECT_NO_THROW(registry.gauge("_under", "h"));
}

TEST(MetricsRegistry, InvalidLabelNamesAreRefused) {
  Registry registry;
  EXPECT_THROW(registry.counter("c", "h", {{"1x", "v"}}), std::invalid_argument);
  EXPECT_THROW(registry.counter("c", "h", {{"a:b", "v"}}), std::invalid_argument);
  EXPECT_THROW(registry.counter("c", "h", {{"__reserved", "v"}}), std::invalid_argument);
  EXPECT_THROW(registry.counter("c", "h", {{"k", "v"}, {"k", "w"}}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h", "h", {1}, {{"le", "1"}}), std::invalid_argument);
  EXPECT_NO_THROW(registry.gauge("g", "h", {{"le", "fine outside histograms"}}));
}

TEST(MetricsRegistry, ReusingANameInAnotherShapeIsRefused) {
  Registry registry;
  registry.counter("c_total", "h", {{"code", "250"}});
  EXPECT_THROW(registry.gauge("c_total", "h", {{"code", "250"}}), std::invalid_argument);
  EXPECT_THROW(registry.counter("c_total", "h", {{"port", "mx"}}), std::invalid_argument);
  EXPECT_THROW(registry.counter("c_total", "h"), std::invalid_argument);
  EXPECT_THROW(registry.counter("c_total", "h", {{"code", "250"}, {"port", "mx"}}), std::invalid_argument);
  registry.histogram("h_seconds", "h", {1, 2});
  EXPECT_THROW(registry.histogram("h_seconds", "h", {1, 3}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("bad_seconds", "h", {2, 1}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("bad_seconds", "h", {1, INFINITY}), std::invalid_argument);
  registry.gauge_fn("g", "h", {}, [] { return 1.0; });
  EXPECT_THROW(registry.gauge("g", "h"), std::invalid_argument);
  registry.gauge("v", "h");
  EXPECT_THROW(registry.gauge_fn("v", "h", {}, [] { return 1.0; }), std::invalid_argument);
}

TEST(MetricsRegistry, ValuesUseTheExpositionSpelling) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(250), "250");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(-2.5), "-2.5");
  EXPECT_EQ(format_value(1e21), "1e+21");
  EXPECT_EQ(format_value(18446744073709551616.0), "18446744073709551616");  // 2^64, exact
  EXPECT_EQ(format_value(INFINITY), "+Inf");
  EXPECT_EQ(format_value(-INFINITY), "-Inf");
  EXPECT_EQ(format_value(NAN), "NaN");
}

}  // namespace
}  // namespace mailpipe::metrics
