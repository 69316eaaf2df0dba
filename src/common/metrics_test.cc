#include "common/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace signet {
namespace {

TEST(MetricsTest, CountersAreFoundByNameAndLabels) {
  MetricsRegistry registry;
  Counter& allow =
      registry.GetCounter("signet_exchanges_total", "exchanges", {{"decision", "allow"}});
  Counter& deny =
      registry.GetCounter("signet_exchanges_total", "exchanges", {{"decision", "deny"}});
  EXPECT_NE(&allow, &deny);
  EXPECT_EQ(&allow, &registry.GetCounter("signet_exchanges_total", "", {{"decision", "allow"}}));
  allow.Increment();
  allow.Increment(2);
  deny.Increment();
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP signet_exchanges_total exchanges\n"
            "# TYPE signet_exchanges_total counter\n"
            "signet_exchanges_total{decision=\"allow\"} 3\n"
            "signet_exchanges_total{decision=\"deny\"} 1\n");
}

TEST(MetricsTest, HistogramsAreCumulativeWithSumAndCount) {
  MetricsRegistry registry;
  Histogram& latency = registry.GetHistogram("signet_exchange_duration_seconds", "latency",
                                             {{"route", "token"}}, {0.001, 0.01});
  latency.Observe(0.0005);
  latency.Observe(0.005);
  latency.Observe(0.005);
  latency.Observe(3);
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP signet_exchange_duration_seconds latency\n"
            "# TYPE signet_exchange_duration_seconds histogram\n"
            "signet_exchange_duration_seconds_bucket{route=\"token\",le=\"0.001\"} 1\n"
            "signet_exchange_duration_seconds_bucket{route=\"token\",le=\"0.01\"} 3\n"
            "signet_exchange_duration_seconds_bucket{route=\"token\",le=\"+Inf\"} 4\n"
            "signet_exchange_duration_seconds_sum{route=\"token\"} 3.0105\n"
            "signet_exchange_duration_seconds_count{route=\"token\"} 4\n");
}

// Rates come from differences of _sum between scrapes: a sum rounded to a few digits
// would freeze once it grows large.
TEST(MetricsTest, HistogramSumKeepsItsPrecisionWhenLarge) {
  MetricsRegistry registry;
  Histogram& latency =
      registry.GetHistogram("signet_exchange_duration_seconds", "latency", {}, {0.001});
  latency.Observe(1234567.25);
  latency.Observe(0.5);
  EXPECT_NE(registry.RenderPrometheus().find("signet_exchange_duration_seconds_sum 1234567.75\n"),
            std::string::npos)
      << registry.RenderPrometheus();
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  MetricsRegistry registry;
  registry.GetCounter("c", "h", {{"reason", "a\"b\\c\nd"}}).Increment();
  EXPECT_NE(registry.RenderPrometheus().find("c{reason=\"a\\\"b\\\\c\\nd\"} 1"), std::string::npos)
      << registry.RenderPrometheus();
}

TEST(MetricsTest, ConcurrentIncrementsAreAllCounted) {
  MetricsRegistry registry;
  auto work = [&registry] {
    for (int i = 0; i < 10000; ++i) {
      registry.GetCounter("n", "h", {{"k", i % 2 ? "a" : "b"}}).Increment();
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(registry.GetCounter("n", "h", {{"k", "a"}}).Value() +
                registry.GetCounter("n", "h", {{"k", "b"}}).Value(),
            20000u);
}

}  // namespace
}  // namespace signet
