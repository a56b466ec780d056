// A small Prometheus metrics registry: counters, gauges and histograms with label sets, rendered
// in the text exposition format 0.0.4. Updates are atomics; With() takes a short family lock, so
// hot paths may keep the returned reference.
//
//   MetricsRegistry reg;
//   auto& req = reg.AddCounter("haloguard_http_requests_total", "Requests.", {"route", "code"});
//   req.With({"/v1/classify", "200"}).Inc();
//   std::string text = reg.Render();
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace haloguard::server {

class Counter {
 public:
  void Inc(double v = 1) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // strictly increasing, +Inf implied
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative bucket counts (one per bound, then +Inf), sum and count, read without locking
  // (a scrape racing an Observe may see count and buckets one observation apart).
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // [bounds + 1], not cumulative
  std::atomic<double> sum_{0};
};

// The series of one metric name, one per label-value tuple. Children live as long as the family.
template <typename M>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::function<std::unique_ptr<M>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        make_(std::move(make)) {}
  // The series for `values` (one per label name; HG_CHECKed), created on first use.
  M& With(const std::vector<std::string>& values);
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labels() const { return labels_; }
  // Calls fn(values, metric) for each series in label order.
  void ForEach(const std::function<void(const std::vector<std::string>&, const M&)>& fn) const;

 private:
  std::string name_, help_;
  std::vector<std::string> labels_;
  std::function<std::unique_ptr<M>()> make_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  // Registration is for set-up time (not thread-safe against Render); names must be unique and
  // match [a-zA-Z_:][a-zA-Z0-9_:]* (HG_CHECKed). References stay valid for the registry's life.
  CounterFamily& AddCounter(const std::string& name, const std::string& help,
                            std::vector<std::string> labels = {});
  GaugeFamily& AddGauge(const std::string& name, const std::string& help,
                        std::vector<std::string> labels = {});
  HistogramFamily& AddHistogram(const std::string& name, const std::string& help,
                                std::vector<std::string> labels, std::vector<double> bounds);
  // A gauge read at scrape time (queue depth, open connections). `read` must be thread-safe.
  void AddCallbackGauge(const std::string& name, const std::string& help,
                        std::function<double()> read);

  // Prometheus text format, families in registration order. Thread-safe with updates.
  std::string Render() const;

 private:
  struct Entry {
    enum class Kind { kCounter, kGauge, kHistogram, kCallback } kind;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
    std::string name, help;
    std::function<double()> read;
  };
  void CheckNew(const std::string& name) const;
  std::vector<Entry> entries_;
};

// Escapes a label value (\\, \", \n) for the exposition format.
std::string EscapeLabelValue(const std::string& v);
// True for [a-zA-Z_:][a-zA-Z0-9_:]* (a valid metric name).
bool IsMetricName(const std::string& name);
// Formats a sample value: integers without exponent, +Inf/-Inf/NaN as Prometheus spells them.
std::string FormatMetricValue(double v);

}  // namespace haloguard::server
