// Router: HTTP requests -> guard endpoints (classify, chat completions, moderations, health,
// models, metrics, monitor jobs). Socket-free: routes_test drives it with a fake classifier.
// Never throws; every failure is an OpenAI-style error response.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "guard/result.h"
#include "monitor/job_json.h"
#include "monitor/queue.h"
#include "server/access_log.h"
#include "server/api.h"
#include "server/auth.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/proxy/prompt.h"
#include "server/proxy/proxy_metrics.h"
#include "server/proxy/proxy_options.h"
#include "server/proxy/upstream.h"
#include "server/scheduler.h"
#include "server/stats.h"

namespace haloguard::server {

struct RouterOptions {
  ApiLimits limits;
  int64_t request_timeout_ms = 30000;            // per request, from arrival to response
  std::string served_model_name = "halo-guard";  // listed by /v1/models besides the model id
  bool include_debug = true;                     // "_debug" in /v1/classify results
  bool open_health = false;           // /health, /healthz, /readyz, /metrics without an API key
  bool log_prompts = false;           // put input texts in the access log
  monitor::JobLimits monitor_limits;  // POST /v1/monitor/jobs bodies
  bool ui = true;                     // the web console at GET / and /ui/* (--no-ui: 404)
  proxy::ProxyOptions proxy;          // guard proxy mode (--upstream); off when no base URL
};

enum class ServingState { kLoading, kReady, kDraining };

// The metric families the server exports (registered on construction).
struct ServerMetrics {
  explicit ServerMetrics(MetricsRegistry& reg);
  CounterFamily& requests;         // {route, code}
  HistogramFamily& latency;        // {route}
  CounterFamily& verdicts;         // {verdict}
  CounterFamily& categories;       // {category}, unsafe verdicts only
  CounterFamily& tokens;           // prompt tokens classified
  CounterFamily& rejected;         // {reason}: queue_full, not_ready, draining, unauthorized
  CounterFamily& protocol_errors;  // {code}: HTTP status of framing errors
  HistogramFamily& batch_size;
  HistogramFamily& queue_wait;
  HistogramFamily& batch_seconds;
  CounterFamily& deadline_exceeded;
  GaugeFamily& monitor_jobs;          // {state}: queued, running
  GaugeFamily& monitor_queue_depth;   // jobs waiting for a worker
  CounterFamily& monitor_jobs_total;  // {state}: submitted, done, failed, cancelled
  CounterFamily& monitor_windows;     // windows scored by the monitor lane
  GaugeFamily& monitor_up;            // 1 when the monitor queue answered the last scrape
  SchedulerMetrics ForScheduler();
};

class Router {
 public:
  // `keys`, `metrics`, `registry` must outlive the router; `access_log` may be null.
  Router(RouterOptions options, const ApiKeys* keys, MetricsRegistry* registry,
         ServerMetrics* metrics, AccessLog* access_log);

  // Loading -> ready: requests are classified through `scheduler` (which must outlive the
  // router); `classifier` is used for CountTokens and info(). Call once.
  void SetBackend(guard::Classifier* classifier, Scheduler* scheduler);
  // Enables /v1/monitor/jobs on `queue` (must outlive the router). Call once, before or after
  // SetBackend; until then monitor requests get 503. New jobs are accepted only when ready.
  void SetMonitor(monitor::JobQueue* queue);
  // Guard proxy mode: POST /v1/chat/completions, /v1/completions and /v1/responses are
  // classified, then blocked or forwarded through `pool` (must outlive the router). Registers
  // the proxy metrics. Call once, before serving.
  void SetUpstream(proxy::UpstreamPool* pool);
  // Ready/loading -> draining: new classification requests get 503, /readyz 503.
  void SetDraining();
  ServingState state() const { return state_.load(); }

  // Answers `req` through `respond` exactly once (maybe later, from a scheduler thread).
  // Thread-safe.
  void Handle(HttpRequest req, Responder respond);

  // Response for a framing error caught by the HTTP layer (counts it in the metrics).
  HttpResponse ProtocolError(int status, const std::string& message, const std::string& remote);

 private:
  // One request on its way to a response (shared with callbacks that may answer later).
  struct Call {
    HttpRequest req;
    Responder respond;
    std::string route;
    std::string request_id;
    Clock::time_point start;
    AccessRecord log;
    std::atomic<bool> done{false};
  };
  void Finish(const std::shared_ptr<Call>& call, HttpResponse response);
  void Fail(const std::shared_ptr<Call>& call, const ApiError& error);
  bool Authorized(const HttpRequest& req) const;
  bool RequireReady(const std::shared_ptr<Call>& call);
  void Health(const std::shared_ptr<Call>& call, bool detailed);
  void Ready(const std::shared_ptr<Call>& call);
  void Models(const std::shared_ptr<Call>& call);
  void Metrics(const std::shared_ptr<Call>& call);
  void Classify(const std::shared_ptr<Call>& call);
  void Chat(const std::shared_ptr<Call>& call);
  void Moderate(const std::shared_ptr<Call>& call);
  // integration_routes.cc: POST /beta/litellm_basic_guardrail_api (LiteLLM generic guardrail).
  void LitellmGuardrail(const std::shared_ptr<Call>& call);
  // integration_routes.cc: any method on /ext_authz/* (Envoy ext_authz HTTP service).
  void ExtAuthz(const std::shared_ptr<Call>& call);
  // integration_routes.cc: POST /portkey/webhook (Portkey webhook guardrail).
  void PortkeyWebhook(const std::shared_ptr<Call>& call);
  // proxy_routes.cc (src/server/proxy/): guard proxy mode. Classify the user turns, then block
  // (Block), forward and relay (Forward), or answer a guard failure (GuardFailed).
  void Proxy(const std::shared_ptr<Call>& call, proxy::ProxyRoute route);
  void ProxyJudge(const std::shared_ptr<Call>& call, proxy::ProxyRoute route,
                  std::shared_ptr<proxy::ProxyPrompt> prompt,
                  std::vector<StatusOr<guard::GuardResult>> results);
  void Block(const std::shared_ptr<Call>& call, proxy::ProxyRoute route,
             const proxy::ProxyPrompt& prompt, const guard::GuardResult& blocked);
  // Counts `outcome` (allowed, flagged, skipped, fail_open) and relays the request upstream.
  void Forward(const std::shared_ptr<Call>& call, const char* outcome,
               std::vector<std::pair<std::string, std::string>> verdict_headers);
  void GuardFailed(const std::shared_ptr<Call>& call, const Status& why);
  void UpstreamFailed(const std::shared_ptr<Call>& call, const Status& why,
                      std::vector<std::pair<std::string, std::string>> verdict_headers);
  HttpResponse Relay(const proxy::UpstreamHead& head);
  std::vector<std::string> UpstreamHeaders(const Call& call) const;
  // monitor_routes.cc: POST /v1/monitor/jobs, GET|DELETE /v1/monitor/jobs/{id}, metrics.
  void MonitorSubmit(const std::shared_ptr<Call>& call);
  void MonitorJob(const std::shared_ptr<Call>& call);
  void RefreshMonitorMetrics();
  // console_routes.cc: GET / and /ui/{file} (the web console), GET /v1/stats (recent
  // aggregates), GET /v1/monitor/jobs (the jobs list); SnapshotStats feeds /v1/stats.
  void Ui(const std::shared_ptr<Call>& call);
  void Stats(const std::shared_ptr<Call>& call);
  void MonitorList(const std::shared_ptr<Call>& call);
  void SnapshotStats();
  // Submits texts to the scheduler (no readiness check); `done` gets one result per text.
  // Errors: the scheduler's refusal (queue full, shutting down), `done` then never runs.
  Status Enqueue(const std::shared_ptr<Call>& call, std::vector<std::string> texts, bool generate,
                 std::function<void(std::vector<StatusOr<guard::GuardResult>>)> done);
  // Submits texts to the scheduler; `render` builds the 200 response from the results.
  void Submit(const std::shared_ptr<Call>& call, std::vector<std::string> texts, bool generate,
              std::function<HttpResponse(const std::vector<guard::GuardResult>&)> render);
  void CountVerdicts(const std::shared_ptr<Call>& call,
                     const std::vector<guard::GuardResult>& results);

  RouterOptions opts_;
  const ApiKeys* keys_;
  MetricsRegistry* registry_;
  ServerMetrics* metrics_;
  AccessLog* access_log_;
  std::atomic<ServingState> state_{ServingState::kLoading};
  std::atomic<guard::Classifier*> classifier_{nullptr};
  std::atomic<Scheduler*> scheduler_{nullptr};
  std::atomic<monitor::JobQueue*> monitor_{nullptr};
  proxy::UpstreamPool* upstream_ = nullptr;  // set once before serving (proxy mode)
  std::unique_ptr<proxy::ProxyMetrics> proxy_metrics_;
  std::mutex monitor_metrics_mu_;
  Clock::time_point started_ = Clock::now();
  StatsHistory stats_;
};

// Upper bounds of haloguard_http_request_duration_seconds (also /v1/stats' latency_bounds).
extern const std::vector<double> kLatencyBounds;

// A fresh identifier: `prefix` + 24 hex digits from a per-thread random generator.
std::string NewId(const std::string& prefix);

}  // namespace haloguard::server
