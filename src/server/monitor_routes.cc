// The monitor lane's routes on Router: POST /v1/monitor/jobs (202 + job), GET and DELETE
// /v1/monitor/jobs/{id}, and the monitor metrics refreshed from the queue at scrape time.
#include "server/routes.h"

namespace haloguard::server {
namespace {

constexpr std::string_view kJobsPath = "/v1/monitor/jobs";

HttpResponse JobResponse(int status, const monitor::JobInfo& info) {
  HttpResponse r;
  r.status = status;
  r.body = monitor::JobInfoToJson(info);
  return r;
}

// Queue errors as the API answers them: 404 job_not_found, 409 job_finished, 429 queue_full,
// 503 monitor_unavailable.
ApiError QueueError(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return ApiErrorFromStatus(s, "job_not_found");
    case StatusCode::kFailedPrecondition: {
      ApiError e = ApiErrorFromStatus(s, "job_finished");
      e.status = 409;
      return e;
    }
    case StatusCode::kResourceExhausted:
      return ApiErrorFromStatus(s, "queue_full");
    case StatusCode::kUnavailable:
      return ApiErrorFromStatus(s, "monitor_unavailable");
    default:
      return ApiErrorFromStatus(s);
  }
}

// Adds the increase of a cluster-wide total to a local counter (totals only grow, except when a
// Redis is wiped; then the counter holds still rather than go down).
void CatchUp(Counter& c, int64_t total) {
  const double delta = static_cast<double>(total) - c.value();
  if (delta > 0) c.Inc(delta);
}

}  // namespace

void Router::MonitorSubmit(const std::shared_ptr<Call>& call) {
  if (!RequireReady(call)) return;
  monitor::JobQueue* queue = monitor_.load();
  if (queue == nullptr) {
    return Fail(call, HttpError(503, "the monitor lane is not running on this server",
                                "monitor_unavailable"));
  }
  monitor::JobSpec spec;
  if (auto e = monitor::ParseJobRequest(call->req.body, opts_.monitor_limits, &spec)) {
    ApiError err = HttpError(400, e->message, e->code);
    err.param = e->param;
    return Fail(call, err);
  }
  call->log.num_inputs = 1;
  StatusOr<monitor::JobInfo> job = queue->Submit(std::move(spec));
  if (!job.ok()) {
    if (job.status().code() == StatusCode::kResourceExhausted) {
      metrics_->rejected.With({"monitor_queue_full"}).Inc();
    }
    return Fail(call, QueueError(job.status()));
  }
  HttpResponse r = JobResponse(202, *job);
  r.headers.emplace_back("Location", std::string(kJobsPath) + "/" + job->id);
  Finish(call, std::move(r));
}

void Router::MonitorJob(const std::shared_ptr<Call>& call) {
  const std::string id = call->req.path.substr(kJobsPath.size() + 1);
  if (!monitor::IsJobId(id)) {
    return Fail(call, HttpError(404,
                                "no job '" + id.substr(0, 80) +
                                    "'; expected an id like mon-<32 hex digits> from POST "
                                    "/v1/monitor/jobs",
                                "job_not_found"));
  }
  monitor::JobQueue* queue = monitor_.load();
  if (queue == nullptr) {
    return Fail(call, HttpError(503,
                                "the monitor lane is not running yet; retry when /readyz "
                                "answers 200",
                                "monitor_unavailable"));
  }
  const bool cancel = call->req.method == "DELETE";
  StatusOr<monitor::JobInfo> job = cancel ? queue->Cancel(id) : queue->Get(id);
  if (!job.ok()) return Fail(call, QueueError(job.status()));
  Finish(call, JobResponse(200, *job));
}

void Router::RefreshMonitorMetrics() {
  monitor::JobQueue* queue = monitor_.load();
  if (queue == nullptr) return;
  std::lock_guard<std::mutex> lock(monitor_metrics_mu_);  // two scrapes must not both catch up
  StatusOr<monitor::QueueStats> s = queue->Stats();
  metrics_->monitor_up.With({}).Set(s.ok() ? 1 : 0);
  if (!s.ok()) return;
  metrics_->monitor_jobs.With({"queued"}).Set(static_cast<double>(s->queued));
  metrics_->monitor_jobs.With({"running"}).Set(static_cast<double>(s->running));
  metrics_->monitor_queue_depth.With({}).Set(static_cast<double>(s->queued));
  CatchUp(metrics_->monitor_jobs_total.With({"submitted"}), s->submitted_total);
  CatchUp(metrics_->monitor_jobs_total.With({"done"}), s->done_total);
  CatchUp(metrics_->monitor_jobs_total.With({"failed"}), s->failed_total);
  CatchUp(metrics_->monitor_jobs_total.With({"cancelled"}), s->cancelled_total);
  CatchUp(metrics_->monitor_windows.With({}), s->windows_total);
}

}  // namespace haloguard::server
