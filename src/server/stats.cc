// StatsHistory implementation: deltas between consecutive snapshots, JSON via nlohmann.
#include "server/stats.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace haloguard::server {
namespace {

using OJson = nlohmann::ordered_json;

double Round(double v, double scale) { return std::round(v * scale) / scale; }

std::vector<uint64_t> Minus(const std::vector<uint64_t>& b, const std::vector<uint64_t>& a) {
  std::vector<uint64_t> d(b.size(), 0);
  for (size_t i = 0; i < b.size(); ++i) d[i] = i < a.size() && a[i] <= b[i] ? b[i] - a[i] : b[i];
  return d;
}

OJson Quantile(double q, const std::vector<double>& bounds, const std::vector<uint64_t>& counts) {
  const double v = HistogramQuantile(q, bounds, counts);
  return v < 0 ? OJson(nullptr) : OJson(Round(v, 1e6));
}

OJson CategoryDelta(const StatsSnapshot& a, const StatsSnapshot& b) {
  OJson out = OJson::object();
  for (const auto& [name, n] : b.categories) {
    auto it = a.categories.find(name);
    const double d = n - (it == a.categories.end() ? 0 : it->second);
    if (d > 0) out[name] = d;
  }
  return out;
}

OJson BatchMean(const StatsSnapshot& a, const StatsSnapshot& b) {
  const double n = b.batches - a.batches;
  return n > 0 ? OJson(Round((b.batch_sequences - a.batch_sequences) / n, 1e3)) : OJson(nullptr);
}

}  // namespace

double HistogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<uint64_t>& counts) {
  if (counts.empty() || counts.back() == 0 || bounds.empty()) return -1;
  const double rank = q * static_cast<double>(counts.back());
  size_t i = 0;
  while (i < counts.size() && static_cast<double>(counts[i]) < rank) ++i;
  if (i >= bounds.size()) return bounds.back();  // in the +Inf bucket
  const double lo = i == 0 ? 0 : bounds[i - 1];
  const double below = i == 0 ? 0 : static_cast<double>(counts[i - 1]);
  const double in = static_cast<double>(counts[i]) - below;
  if (in <= 0) return bounds[i];
  return lo + (bounds[i] - lo) * (rank - below) / in;
}

StatsHistory::StatsHistory(std::vector<double> latency_bounds, double keep_s,
                           double min_interval_s)
    : bounds_(std::move(latency_bounds)), keep_s_(keep_s), min_interval_s_(min_interval_s) {}

bool StatsHistory::Due(double now) const {
  std::lock_guard<std::mutex> lock(mu_);
  return snaps_.empty() || now - snaps_.back().t >= min_interval_s_;
}

void StatsHistory::Add(StatsSnapshot s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!snaps_.empty() && s.t - snaps_.back().t < min_interval_s_) return;
  const double t = s.t;
  snaps_.push_back(std::move(s));
  // Keep one snapshot older than the horizon, so the first point in it has a start.
  while (snaps_.size() > 2 && snaps_[1].t < t - keep_s_) snaps_.pop_front();
}

std::string StatsHistory::RenderJson(double window_s) const {
  std::lock_guard<std::mutex> lock(mu_);
  OJson j;
  const double now = snaps_.empty() ? 0 : snaps_.back().t;
  j["now"] = Round(now, 1e3);
  j["window_s"] = window_s;
  j["latency_bounds"] = bounds_;
  OJson points = OJson::array();
  size_t first = snaps_.size();  // the snapshot the window starts from
  for (size_t i = snaps_.size(); i-- > 0;) {
    first = i;
    if (snaps_[i].t <= now - window_s) break;
  }
  for (size_t i = first + 1; i < snaps_.size(); ++i) {
    const StatsSnapshot &a = snaps_[i - 1], &b = snaps_[i];
    const double dt = std::max(b.t - a.t, 1e-3);
    const std::vector<uint64_t> lat = Minus(b.latency, a.latency);
    points.push_back({{"t", Round(b.t, 1e3)},
                      {"dt", Round(dt, 1e3)},
                      {"requests_per_s", Round((b.requests - a.requests) / dt, 1e3)},
                      {"errors_per_s", Round((b.errors - a.errors) / dt, 1e3)},
                      {"latency_p50_s", Quantile(0.5, bounds_, lat)},
                      {"latency_p95_s", Quantile(0.95, bounds_, lat)},
                      {"safe", b.safe - a.safe},
                      {"unsafe", b.unsafe - a.unsafe},
                      {"categories", CategoryDelta(a, b)},
                      {"batch_size_mean", BatchMean(a, b)},
                      {"queue_depth", b.queue_depth},
                      {"monitor_queued", b.monitor_queued},
                      {"monitor_running", b.monitor_running}});
  }
  j["points"] = std::move(points);
  OJson totals = OJson::object();
  if (first < snaps_.size()) {
    const StatsSnapshot &a = snaps_[first], &b = snaps_.back();
    const std::vector<uint64_t> lat = Minus(b.latency, a.latency);
    totals = {{"requests", b.requests - a.requests},
              {"errors", b.errors - a.errors},
              {"latency_p50_s", Quantile(0.5, bounds_, lat)},
              {"latency_p95_s", Quantile(0.95, bounds_, lat)},
              {"safe", b.safe - a.safe},
              {"unsafe", b.unsafe - a.unsafe},
              {"categories", CategoryDelta(a, b)},
              {"batches", b.batches - a.batches},
              {"batch_size_mean", BatchMean(a, b)}};
  }
  j["totals"] = std::move(totals);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace haloguard::server
