// StatsHistory: recent aggregates of the server's own metrics for GET /v1/stats (the web
// console's live view): snapshots of cumulative counters, at most one per second, kept for ten
// minutes; rendered as per-interval rates, latency quantiles, verdict/category mix, batch size.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace haloguard::server {

// Cumulative values read from the metrics registry at one instant.
struct StatsSnapshot {
  double t = 0;               // unix seconds
  double requests = 0;        // guard requests answered (classify, chat, moderations)
  double errors = 0;          // of those, answered with status >= 400
  std::vector<uint64_t> latency;  // cumulative bucket counts (bounds + Inf) of those requests
  double safe = 0, unsafe = 0;    // verdicts
  std::map<std::string, double> categories;  // unsafe verdicts by category
  double batches = 0, batch_sequences = 0;   // batched classifier calls, sequences in them
  double queue_depth = 0;                    // sequences waiting at this instant (a gauge)
  double monitor_queued = 0, monitor_running = 0;  // monitor jobs at this instant (gauges)
};

// The q-quantile (0 < q < 1) of a histogram as Prometheus' histogram_quantile computes it:
// linear interpolation inside the bucket holding rank q * total, the lowest bucket starting at
// 0, and the highest finite bound for ranks in the +Inf bucket. `counts` are cumulative, one per
// bound then +Inf. Returns -1 (no data) when the total is 0.
double HistogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<uint64_t>& counts);

class StatsHistory {
 public:
  // `latency_bounds`: the upper bounds of StatsSnapshot::latency (without +Inf).
  explicit StatsHistory(std::vector<double> latency_bounds, double keep_s = 600,
                        double min_interval_s = 1);

  // True when a snapshot taken at `now` would be kept (>= min_interval_s after the last).
  bool Due(double now) const;
  // Keeps `s` if Due(s.t) (else drops it), and forgets snapshots older than keep_s. Thread-safe.
  void Add(StatsSnapshot s);

  // JSON for the last `window_s` seconds before the newest snapshot:
  // {"now", "window_s", "latency_bounds", "points": [{t, dt, requests_per_s, errors_per_s,
  //   latency_p50_s, latency_p95_s (null without requests), safe, unsafe, categories{},
  //   batch_size_mean (null without batches), queue_depth, monitor_queued, monitor_running}],
  //  "totals": {requests, errors, latency_p50_s, latency_p95_s, safe, unsafe, categories{},
  //   batches, batch_size_mean}}
  // One point per pair of consecutive snapshots (counts are deltas over dt seconds).
  std::string RenderJson(double window_s) const;

 private:
  std::vector<double> bounds_;
  double keep_s_, min_interval_s_;
  mutable std::mutex mu_;
  std::deque<StatsSnapshot> snaps_;  // oldest first
};

}  // namespace haloguard::server
