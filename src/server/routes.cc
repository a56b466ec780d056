// Router implementation: route table, auth, readiness gate, scheduler submission, metrics and
// access-log bookkeeping (once per request, in Finish).
#include "server/routes.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "server/proxy/block_response.h"

namespace haloguard::server {

namespace {

enum class RouteId {
  kClassify,
  kChat,
  kCompletions,  // proxy mode only
  kResponses,    // proxy mode only
  kModerations,
  kLitellmGuardrail,
  kExtAuthz,
  kPortkeyWebhook,
  kHealth,
  kHealthz,
  kReadyz,
  kModels,
  kMetrics,
  kMonitorSubmit,
  kMonitorJob,
  kMonitorList,
  kUi,
  kStats
};

struct RouteDef {
  const char* path;
  const char* method;   // "*" = any method (Envoy ext_authz forwards the client's)
  RouteId id;
  bool probe;           // opened by --open-health
  bool prefix = false;  // path + one non-empty segment ("/v1/monitor/jobs/{id}")
  bool subtree = false;  // path itself or anything below it ("/ext_authz/v1/chat/completions")
};

constexpr RouteDef kRoutes[] = {
    {"/v1/classify", "POST", RouteId::kClassify, false},
    {"/v1/chat/completions", "POST", RouteId::kChat, false},
    {"/v1/completions", "POST", RouteId::kCompletions, false},
    {"/v1/responses", "POST", RouteId::kResponses, false},
    {"/v1/moderations", "POST", RouteId::kModerations, false},
    {"/beta/litellm_basic_guardrail_api", "POST", RouteId::kLitellmGuardrail, false},
    {"/ext_authz", "*", RouteId::kExtAuthz, false, false, true},
    {"/portkey/webhook", "POST", RouteId::kPortkeyWebhook, false},
    {"/health", "GET", RouteId::kHealth, true},
    {"/healthz", "GET", RouteId::kHealthz, true},
    {"/readyz", "GET", RouteId::kReadyz, true},
    {"/v1/models", "GET", RouteId::kModels, false},
    {"/metrics", "GET", RouteId::kMetrics, true},
    {"/v1/monitor/jobs", "POST", RouteId::kMonitorSubmit, false},
    {"/v1/monitor/jobs/", "GET", RouteId::kMonitorJob, false, true},
    {"/v1/monitor/jobs/", "DELETE", RouteId::kMonitorJob, false, true},
    {"/v1/monitor/jobs", "GET", RouteId::kMonitorList, false},
    {"/v1/stats", "GET", RouteId::kStats, false},
    {"/", "GET", RouteId::kUi, false},
    {"/ui/", "GET", RouteId::kUi, false, true},
};

bool PathMatches(const RouteDef& d, const std::string& path) {
  if (d.subtree) {
    const std::string_view p(d.path);
    return path.compare(0, p.size(), p) == 0 && (path.size() == p.size() || path[p.size()] == '/');
  }
  if (!d.prefix) return path == d.path;
  const std::string_view p(d.path);
  return path.size() > p.size() && path.compare(0, p.size(), p) == 0 &&
         path.find('/', p.size()) == std::string::npos;
}

// The route label for metrics and logs (ids never become label values).
std::string RouteLabel(const RouteDef& d) {
  if (d.subtree) return std::string(d.path) + "/*";
  return d.prefix ? std::string(d.path) + "{id}" : std::string(d.path);
}

bool SaneRequestId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == ':';
  });
}

HttpResponse JsonResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// True when the result's category is one of the labels it was scored over (the loaded guard
// prompt's categories), so a metrics label never comes from anywhere else.
bool KnownCategory(const guard::GuardResult& r) {
  return std::any_of(r.category_scores.begin(), r.category_scores.end(),
                     [&](const guard::CategoryScore& s) { return s.label == r.category; });
}

}  // namespace

const std::vector<double> kLatencyBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                            0.5,   1,      2.5,   5,    10,    30,   60};

std::string NewId(const std::string& prefix) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llx%08llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng() & 0xffffffffull));
  return prefix + buf;
}

ServerMetrics::ServerMetrics(MetricsRegistry& reg)
    : requests(reg.AddCounter("haloguard_http_requests_total",
                              "HTTP requests answered, by route and status code.",
                              {"route", "code"})),
      latency(reg.AddHistogram(
          "haloguard_http_request_duration_seconds",
          "Time from a complete request to its response, by route.", {"route"},
          kLatencyBounds)),
      verdicts(
          reg.AddCounter("haloguard_verdicts_total", "Classified inputs by verdict.", {"verdict"})),
      categories(reg.AddCounter("haloguard_unsafe_categories_total",
                                "Unsafe verdicts by reported category.", {"category"})),
      tokens(reg.AddCounter("haloguard_prompt_tokens_total", "Prompt tokens classified.")),
      rejected(reg.AddCounter("haloguard_rejected_requests_total",
                              "Requests refused before classification, by reason.", {"reason"})),
      protocol_errors(reg.AddCounter("haloguard_http_protocol_errors_total",
                                     "Malformed or over-limit HTTP requests, by status.",
                                     {"code"})),
      batch_size(reg.AddHistogram("haloguard_batch_size", "Sequences per batched forward call.", {},
                                  {1, 2, 4, 8, 16, 32, 64, 128})),
      queue_wait(reg.AddHistogram(
          "haloguard_queue_wait_seconds",
          "Time a sequence waited in the queue before its batch started.", {},
          {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})),
      batch_seconds(reg.AddHistogram(
          "haloguard_batch_duration_seconds", "Wall time of one batched classifier call.", {},
          {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})),
      deadline_exceeded(reg.AddCounter("haloguard_deadline_exceeded_total",
                                       "Requests answered 504 because their deadline passed.")),
      monitor_jobs(reg.AddGauge("haloguard_monitor_jobs",
                                "Monitor jobs waiting or running, by state.", {"state"})),
      monitor_queue_depth(
          reg.AddGauge("haloguard_monitor_queue_depth", "Monitor jobs waiting for a worker.")),
      monitor_jobs_total(reg.AddCounter(
          "haloguard_monitor_jobs_total",
          "Monitor jobs that reached each state (cluster-wide with --queue redis://).", {"state"})),
      monitor_windows(reg.AddCounter("haloguard_monitor_windows_total",
                                     "Windows scored by the monitor lane (rate = windows/s).")),
      monitor_up(reg.AddGauge("haloguard_monitor_queue_up",
                              "1 when the monitor queue answered the last scrape.")) {}

SchedulerMetrics ServerMetrics::ForScheduler() {
  return {&batch_size.With({}), &queue_wait.With({}), &batch_seconds.With({}),
          &deadline_exceeded.With({})};
}

Router::Router(RouterOptions options, const ApiKeys* keys, MetricsRegistry* registry,
               ServerMetrics* metrics, AccessLog* access_log)
    : opts_(std::move(options)),
      keys_(keys),
      registry_(registry),
      metrics_(metrics),
      access_log_(access_log),
      stats_(kLatencyBounds) {}

void Router::SetBackend(guard::Classifier* classifier, Scheduler* scheduler) {
  classifier_.store(classifier);
  scheduler_.store(scheduler);
  ServingState expected = ServingState::kLoading;
  state_.compare_exchange_strong(expected, ServingState::kReady);
  SnapshotStats();  // the zero baseline /v1/stats counts from
}

void Router::SetMonitor(monitor::JobQueue* queue) { monitor_.store(queue); }

void Router::SetDraining() { state_.store(ServingState::kDraining); }

bool Router::Authorized(const HttpRequest& req) const {
  return keys_->CheckHeaders(req.Header("authorization"), req.Header("x-api-key"));
}

void Router::Handle(HttpRequest req, Responder respond) {
  auto call = std::make_shared<Call>();
  call->start = req.received == Clock::time_point{} ? Clock::now() : req.received;
  const std::string* rid = req.Header("x-request-id");
  call->request_id = rid != nullptr && SaneRequestId(*rid) ? *rid : NewId("req-");
  call->log = {call->request_id, req.remote, req.method, req.path, "other"};
  call->log.bytes_in = req.body.size();
  call->req = std::move(req);
  call->respond = std::move(respond);
  call->route = "other";

  const HttpRequest& r = call->req;
  const RouteDef* def = nullptr;
  std::string allow;
  for (const RouteDef& d : kRoutes) {
    if (!PathMatches(d, r.path)) continue;
    allow += (allow.empty() ? "" : ", ") + std::string(d.method) +
             (std::string(d.method) == "GET" ? ", HEAD" : "");
    const std::string m(d.method);
    if (m == "*" || r.method == m || (r.method == "HEAD" && m == "GET")) def = &d;
    call->route = RouteLabel(d);
  }
  if (def == nullptr && allow.empty()) {
    return Fail(call,
                HttpError(404, "no route for " + r.method + " " + r.path +
                                   "; expected one of /v1/classify, /v1/chat/completions, "
                                   "/v1/moderations, /v1/completions and /v1/responses (proxy mode), /beta/litellm_basic_guardrail_api, /ext_authz/*, /portkey/webhook, /v1/models, /v1/monitor/jobs[/{id}], /health, "
                                   "/healthz, /readyz, /metrics"));
  }
  call->log.route = call->route;
  if (def == nullptr) {
    HttpResponse resp = ErrorResponse(
        HttpError(405, "method " + r.method + " not allowed on " + r.path + "; expected " + allow));
    resp.headers.emplace_back("Allow", allow);
    call->log.error_code = "method_not_allowed";
    return Finish(call, std::move(resp));
  }
  // The console's page and assets hold no data: the key is entered in the page itself.
  const bool open = def->id == RouteId::kUi || (def->probe && opts_.open_health);
  if (keys_->enabled() && !open && !Authorized(r)) {
    metrics_->rejected.With({"unauthorized"}).Inc();
    return Fail(call,
                HttpError(401, "missing or invalid API key; expected 'Authorization: Bearer <key>' or "
                                   "'x-api-key: <key>'",
                          "invalid_api_key"));
  }
  switch (def->id) {
    case RouteId::kClassify:
      return Classify(call);
    case RouteId::kChat:
      if (upstream_ != nullptr) return Proxy(call, proxy::ProxyRoute::kChat);
      return Chat(call);
    case RouteId::kCompletions:
    case RouteId::kResponses:
      if (upstream_ != nullptr) {
        return Proxy(call, def->id == RouteId::kCompletions ? proxy::ProxyRoute::kCompletions
                                                            : proxy::ProxyRoute::kResponses);
      }
      return Fail(call, HttpError(404, r.path + " is served in guard proxy mode only (serve "
                                                "--upstream URL; docs/INTEGRATIONS.md)"));
    case RouteId::kModerations:
      return Moderate(call);
    case RouteId::kLitellmGuardrail:
      return LitellmGuardrail(call);
    case RouteId::kExtAuthz:
      return ExtAuthz(call);
    case RouteId::kPortkeyWebhook:
      return PortkeyWebhook(call);
    case RouteId::kHealth:
      return Health(call, true);
    case RouteId::kHealthz:
      return Finish(call, JsonResponse(200, "{\"status\":\"alive\"}"));
    case RouteId::kReadyz:
      return Ready(call);
    case RouteId::kModels:
      // Proxy mode: LLM clients list the upstream's models (chat UIs, LiteLLM health checks).
      if (upstream_ != nullptr && r.method == "GET") {
        return Forward(call, "skipped", proxy::VerdictHeaders(nullptr, "skipped"));
      }
      return Models(call);
    case RouteId::kMetrics:
      return Metrics(call);
    case RouteId::kMonitorSubmit:
      return MonitorSubmit(call);
    case RouteId::kMonitorJob:
      return MonitorJob(call);
    case RouteId::kMonitorList:
      return MonitorList(call);
    case RouteId::kUi:
      return Ui(call);
    case RouteId::kStats:
      return Stats(call);
  }
}

void Router::Finish(const std::shared_ptr<Call>& call, HttpResponse response) {
  if (call->done.exchange(true)) return;
  response.headers.emplace_back("x-request-id", call->request_id);
  const double seconds = SecondsSince(call->start);
  metrics_->requests.With({call->route, std::to_string(response.status)}).Inc();
  metrics_->latency.With({call->route}).Observe(seconds);
  SnapshotStats();
  if (access_log_ != nullptr) {
    call->log.status = response.status;
    call->log.duration_ms = seconds * 1000;
    call->log.bytes_out = response.body.size();
    access_log_->Write(call->log);
  }
  call->respond(std::move(response));
}

void Router::Fail(const std::shared_ptr<Call>& call, const ApiError& error) {
  call->log.error_code = error.code;
  Finish(call, ErrorResponse(error));
}

HttpResponse Router::ProtocolError(int status, const std::string& message,
                                   const std::string& remote) {
  metrics_->protocol_errors.With({std::to_string(status)}).Inc();
  metrics_->requests.With({"protocol", std::to_string(status)}).Inc();
  ApiError e = HttpError(status, "http: " + message, status == 503 ? "too_many_connections" : "");
  if (access_log_ != nullptr) {
    AccessRecord rec;
    rec.remote = remote;
    rec.route = "protocol";
    rec.status = status;
    rec.error_code = e.code;
    access_log_->Write(rec);
  }
  return ErrorResponse(e);
}

bool Router::RequireReady(const std::shared_ptr<Call>& call) {
  const ServingState s = state_.load();
  if (s == ServingState::kReady) return true;
  const bool loading = s == ServingState::kLoading;
  metrics_->rejected.With({loading ? "not_ready" : "draining"}).Inc();
  ApiError e = HttpError(503,
                         loading ? "the model is still loading; retry when /readyz answers 200"
                                 : "the server is shutting down; retry on another instance",
                         loading ? "model_loading" : "draining");
  HttpResponse resp = ErrorResponse(e);
  resp.close = !loading;
  call->log.error_code = e.code;
  Finish(call, std::move(resp));
  return false;
}

void Router::Health(const std::shared_ptr<Call>& call, bool /*detailed*/) {
  const ServingState s = state_.load();
  const guard::Classifier* c = classifier_.load();
  HealthView view{s == ServingState::kReady     ? "ok"
                  : s == ServingState::kLoading ? "loading"
                                                : "draining",
                  s == ServingState::kReady, c ? &c->info() : nullptr, "0.1.0",
                  SecondsSince(started_)};
  Finish(call, JsonResponse(view.ready ? 200 : 503, HealthJson(view)));
}

void Router::Ready(const std::shared_ptr<Call>& call) {
  const ServingState s = state_.load();
  const char* name = s == ServingState::kReady     ? "ready"
                     : s == ServingState::kLoading ? "loading"
                                                   : "draining";
  Finish(call, JsonResponse(s == ServingState::kReady ? 200 : 503,
                            std::string("{\"status\":\"") + name + "\",\"ready\":" +
                                (s == ServingState::kReady ? "true" : "false") + "}"));
}

void Router::Models(const std::shared_ptr<Call>& call) {
  std::vector<std::string> names = {opts_.served_model_name};
  if (const guard::Classifier* c = classifier_.load();
      c != nullptr && !c->info().model_id.empty() &&
      c->info().model_id != opts_.served_model_name) {
    names.push_back(c->info().model_id);
  }
  Finish(call, JsonResponse(200, ModelsJson(names, NowUnixSeconds())));
}

void Router::Metrics(const std::shared_ptr<Call>& call) {
  RefreshMonitorMetrics();
  HttpResponse r = JsonResponse(200, registry_->Render());
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  Finish(call, std::move(r));
}

void Router::CountVerdicts(const std::shared_ptr<Call>& call,
                           const std::vector<guard::GuardResult>& results) {
  for (const guard::GuardResult& r : results) {
    const bool unsafe = r.safety_label == "Unsafe";
    metrics_->verdicts.With({unsafe ? "unsafe" : "safe"}).Inc();
    if (unsafe) metrics_->categories.With({KnownCategory(r) ? r.category : "other"}).Inc();
    metrics_->tokens.With({}).Inc(static_cast<double>(r.prompt_tokens));
    call->log.prompt_tokens += r.prompt_tokens;
    call->log.verdicts.push_back(unsafe ? "unsafe:" + r.category : "safe");
  }
}

Status Router::Enqueue(const std::shared_ptr<Call>& call, std::vector<std::string> texts,
                       bool generate,
                       std::function<void(std::vector<StatusOr<guard::GuardResult>>)> done) {
  call->log.num_inputs = static_cast<int>(texts.size());
  if (opts_.log_prompts) call->log.prompts = texts;
  std::vector<guard::ClassifyRequest> requests;
  for (std::string& t : texts) requests.push_back({std::move(t), generate});
  const Clock::time_point deadline =
      call->start + std::chrono::milliseconds(opts_.request_timeout_ms);
  return scheduler_.load()->Submit(std::move(requests), deadline, std::move(done));
}

void Router::Submit(const std::shared_ptr<Call>& call, std::vector<std::string> texts,
                    bool generate,
                    std::function<HttpResponse(const std::vector<guard::GuardResult>&)> render) {
  if (!RequireReady(call)) return;
  auto done = [this, call,
               render = std::move(render)](std::vector<StatusOr<guard::GuardResult>> out) {
    std::vector<guard::GuardResult> ok;
    for (size_t i = 0; i < out.size(); ++i) {
      if (!out[i].ok()) {
        return Fail(call,
                    ApiErrorFromStatus(out[i].status(), "",
                                       out.size() > 1 ? "input[" + std::to_string(i) + "]" : ""));
      }
      ok.push_back(std::move(out[i]).value());
    }
    CountVerdicts(call, ok);
    Finish(call, render(ok));
  };
  Status s = Enqueue(call, std::move(texts), generate, std::move(done));
  if (!s.ok()) {
    const bool full = s.code() == StatusCode::kResourceExhausted;
    metrics_->rejected.With({full ? "queue_full" : "unavailable"}).Inc();
    Fail(call, ApiErrorFromStatus(s, full ? "queue_full" : ""));
  }
}

void Router::Classify(const std::shared_ptr<Call>& call) {
  ClassifyCall in;
  if (auto e = ParseClassify(call->req.body, opts_.limits, &in)) return Fail(call, *e);
  const bool batch = in.batch, debug = opts_.include_debug;
  Submit(call, std::move(in.texts), in.generate,
         [batch, debug](const std::vector<guard::GuardResult>& rs) {
           return JsonResponse(
               200, batch ? ClassifyBatchJson(rs, debug) : guard::GuardResultToJson(rs[0], debug));
         });
}

void Router::Chat(const std::shared_ptr<Call>& call) {
  ChatCall in;
  if (auto e = ParseChat(call->req.body, opts_.limits, &in)) return Fail(call, *e);
  std::string model = in.model.empty() ? opts_.served_model_name : in.model;
  const bool stream = in.stream, usage = in.include_usage, logprobs = in.logprobs;
  const int top_logprobs = in.top_logprobs;
  std::vector<std::string> texts = {std::move(in.text)};
  Submit(call, std::move(texts), false,
         [this, model, stream, usage, logprobs,
          top_logprobs](const std::vector<guard::GuardResult>& rs) {
           const guard::GuardResult& r = rs[0];
           const guard::Classifier* c = classifier_.load();
           StatusOr<int64_t> completion = c->CountTokens(AnswerText(r));
           ChatRender render{NewId("chatcmpl-"), NowUnixSeconds(), model, r.prompt_tokens,
                             completion.ok() ? *completion : 0, logprobs, top_logprobs};
           if (!stream) return JsonResponse(200, ChatCompletionJson(render, r));
           HttpResponse resp = JsonResponse(200, ChatCompletionStream(render, r, usage));
           resp.content_type = "text/event-stream; charset=utf-8";
           resp.headers.emplace_back("Cache-Control", "no-cache");
           return resp;
         });
}

void Router::Moderate(const std::shared_ptr<Call>& call) {
  ModerationCall in;
  if (auto e = ParseModeration(call->req.body, opts_.limits, &in)) return Fail(call, *e);
  std::string model = in.model.empty() ? opts_.served_model_name : in.model;
  Submit(call, std::move(in.texts), false, [model](const std::vector<guard::GuardResult>& rs) {
    return JsonResponse(200, ModerationJson(NewId("modr-"), model, rs));
  });
}

}  // namespace haloguard::server
