// The web console's routes on Router: GET / and /ui/{file} (embedded assets with a strict CSP),
// GET /v1/stats (StatsHistory over the server's own metrics), GET /v1/monitor/jobs (job list).
#include <nlohmann/json.hpp>

#include "monitor/job_json.h"
#include "server/routes.h"
#include "ui/assets.h"

namespace haloguard::server {
namespace {

// Routes whose requests the live view counts: the guard endpoints.
bool GuardRoute(const std::string& route) {
  return route == "/v1/classify" || route == "/v1/chat/completions" || route == "/v1/moderations";
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void Router::Ui(const std::shared_ptr<Call>& call) {
  ui::UiAsset asset;
  if (!opts_.ui || !ui::FindUiAsset(call->req.path, &asset)) {
    std::string msg = "the web console is off (--no-ui)";
    if (opts_.ui) {
      msg = "no console file ";
      msg += call->req.path.substr(0, 80);
      msg += "; expected / or /ui/{index.html,app.css,app.js}";
    }
    return Fail(call, HttpError(404, msg));
  }
  HttpResponse r;
  r.content_type = std::string(asset.content_type);
  r.body = std::string(asset.body);
  r.headers.emplace_back("Content-Security-Policy", std::string(ui::kUiCsp));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-cache");
  Finish(call, std::move(r));
}

void Router::SnapshotStats() {
  const double now = NowSeconds();
  if (!stats_.Due(now)) return;
  StatsSnapshot s;
  s.t = now;
  metrics_->requests.ForEach([&](const std::vector<std::string>& v, const Counter& c) {
    if (!GuardRoute(v[0])) return;
    s.requests += c.value();
    if (v[1].size() == 3 && v[1] >= "400") s.errors += c.value();
  });
  s.latency.assign(kLatencyBounds.size() + 1, 0);
  metrics_->latency.ForEach([&](const std::vector<std::string>& v, const Histogram& h) {
    if (!GuardRoute(v[0])) return;
    const std::vector<uint64_t> c = h.CumulativeCounts();
    for (size_t i = 0; i < c.size() && i < s.latency.size(); ++i) s.latency[i] += c[i];
  });
  metrics_->verdicts.ForEach([&](const std::vector<std::string>& v, const Counter& c) {
    (v[0] == "unsafe" ? s.unsafe : s.safe) += c.value();
  });
  metrics_->categories.ForEach([&](const std::vector<std::string>& v, const Counter& c) {
    s.categories[v[0]] = c.value();
  });
  metrics_->batch_size.ForEach([&](const std::vector<std::string>&, const Histogram& h) {
    s.batches += static_cast<double>(h.CumulativeCounts().back());
    s.batch_sequences += h.sum();
  });
  const Scheduler* sched = scheduler_.load();
  s.queue_depth = sched != nullptr ? static_cast<double>(sched->queued()) : 0;
  metrics_->monitor_jobs.ForEach([&](const std::vector<std::string>& v, const Gauge& g) {
    (v[0] == "running" ? s.monitor_running : s.monitor_queued) += g.value();
  });
  stats_.Add(std::move(s));
}

void Router::Stats(const std::shared_ptr<Call>& call) {
  RefreshMonitorMetrics();
  SnapshotStats();
  HttpResponse r;
  r.body = stats_.RenderJson(600);
  Finish(call, std::move(r));
}

void Router::MonitorList(const std::shared_ptr<Call>& call) {
  monitor::JobQueue* queue = monitor_.load();
  if (queue == nullptr) {
    return Fail(call, HttpError(503, "the monitor lane is not running on this server",
                                "monitor_unavailable"));
  }
  StatusOr<std::vector<monitor::JobInfo>> jobs = queue->List(50);
  if (!jobs.ok()) return Fail(call, ApiErrorFromStatus(jobs.status(), "monitor_unavailable"));
  std::string body = "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < jobs->size(); ++i) {
    if (i > 0) body += ',';
    body += monitor::JobInfoToJson((*jobs)[i]);
  }
  body += "]}";
  HttpResponse r;
  r.body = std::move(body);
  Finish(call, std::move(r));
}

}  // namespace haloguard::server
