#include "common/metrics.h"

#include <cmath>
#include <cstdio>

namespace signet {
namespace {

// `{a="x",b="y"}` with the exposition format's escapes, or "" without labels.
std::string RenderLabels(const MetricLabels& labels) {
  if (labels.empty()) {
    return "";
  }
  std::string out = "{";
  for (const auto& [key, value] : labels) {
    if (out.size() > 1) {
      out.push_back(',');
    }
    out += key + "=\"";
    for (char c : value) {
      if (c == '\\' || c == '"') {
        out.push_back('\\');
        out.push_back(c);
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out.push_back(c);
      }
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

// The labels of a series plus one more (a histogram's `le`).
std::string WithLabel(const std::string& rendered, const std::string& extra) {
  if (rendered.empty()) {
    return "{" + extra + "}";
  }
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

std::string Number(double value) {
  if (std::isinf(value)) {
    return "+Inf";
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.15g", value);
  return buf;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) {
    ++i;
  }
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<uint64_t>(std::llround(std::max(value, 0.0) * 1e6)),
                       std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    counts[i] = total;
  }
  return counts;
}

double Histogram::Sum() const {
  return static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(std::string_view name, std::string_view help,
                                                    bool histogram) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{std::string(help), histogram, {}, {}}).first;
  }
  return it->second;
}

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const MetricLabels& labels) {
  std::string key = RenderLabels(labels);
  {
    std::shared_lock lock(mu_);
    auto family = families_.find(name);
    if (family != families_.end()) {
      auto series = family->second.counters.find(key);
      if (series != family->second.counters.end()) {
        return *series->second;
      }
    }
  }
  std::unique_lock lock(mu_);
  auto& slot = FamilyFor(name, help, false).counters[key];
  if (!slot) {
    slot = std::make_unique<Counter>();
  }
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         const MetricLabels& labels, std::vector<double> bounds) {
  std::string key = RenderLabels(labels);
  {
    std::shared_lock lock(mu_);
    auto family = families_.find(name);
    if (family != families_.end()) {
      auto series = family->second.histograms.find(key);
      if (series != family->second.histograms.end()) {
        return *series->second;
      }
    }
  }
  std::unique_lock lock(mu_);
  auto& slot = FamilyFor(name, help, true).histograms[key];
  if (!slot) {
    slot = std::make_unique<Histogram>(std::move(bounds));
  }
  return *slot;
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::shared_lock lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + family.help + "\n";
    out += "# TYPE " + name + (family.histogram ? " histogram\n" : " counter\n");
    for (const auto& [labels, counter] : family.counters) {
      out += name + labels + " " + std::to_string(counter->Value()) + "\n";
    }
    for (const auto& [labels, histogram] : family.histograms) {
      std::vector<uint64_t> counts = histogram->CumulativeCounts();
      for (size_t i = 0; i < counts.size(); ++i) {
        double bound = i < histogram->bounds().size() ? histogram->bounds()[i] : INFINITY;
        out += name + "_bucket" + WithLabel(labels, "le=\"" + Number(bound) + "\"") + " " +
               std::to_string(counts[i]) + "\n";
      }
      out += name + "_sum" + labels + " " + Number(histogram->Sum()) + "\n";
      out += name + "_count" + labels + " " + std::to_string(counts.back()) + "\n";
    }
  }
  return out;
}

}  // namespace signet
