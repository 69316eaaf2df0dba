// Metrics: counters and histograms, rendered in the Prometheus text exposition format
// (version 0.0.4) for signetd's /metrics.
//
// A metric is found (or made) once by name and labels; updating it is one relaxed atomic
// add, so the hot path pays no lock. Label values may come from requests (a refusal's
// reason): callers pass only values from a fixed vocabulary (reasons, outcomes), never
// free text, so the number of series stays bounded.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace signet {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Histogram {
 public:
  // `bounds`: the upper bounds of the buckets, increasing; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations <= bounds()[i] (cumulative, as Prometheus wants them); then the count.
  std::vector<uint64_t> CumulativeCounts() const;
  double Sum() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bucket, +Inf last; not cumulative
  std::atomic<uint64_t> sum_micro_{0};                // the sum, in millionths
};

// Latency buckets from 100 µs to 10 s, in seconds.
std::vector<double> LatencyBuckets();

class MetricsRegistry {
 public:
  // The counter `name` with `labels`; the same object for the same name and labels.
  // `help` is kept from the first call for a name.
  Counter& GetCounter(std::string_view name, std::string_view help,
                      const MetricLabels& labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help,
                          const MetricLabels& labels = {},
                          std::vector<double> bounds = LatencyBuckets());

  // Every metric, families sorted by name, series by labels.
  std::string RenderPrometheus() const;

 private:
  struct Family {
    std::string help;
    bool histogram = false;
    std::map<std::string, std::unique_ptr<Counter>> counters;      // by rendered labels
    std::map<std::string, std::unique_ptr<Histogram>> histograms;  // by rendered labels
  };
  Family& FamilyFor(std::string_view name, std::string_view help, bool histogram);

  mutable std::shared_mutex mu_;
  std::map<std::string, Family, std::less<>> families_;  // guarded by mu_
};

}  // namespace signet
