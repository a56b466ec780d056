// GuardServer: wiring (keys, metrics, access log, router, scheduler, HTTP) and the drain sequence.
#include "server/server.h"

#include <optional>
#include <thread>

#include "core/log.h"
#include "server/errors.h"

namespace haloguard::server {
namespace {

Status AtLeast(const char* flag, int64_t value, int64_t min) {
  if (value >= min) return OkStatus();
  return InvalidArgumentError(std::string(flag) + ": expected >= " + std::to_string(min) +
                              ", got " + std::to_string(value));
}

// Header-time authentication (issue 13): a request that announces a body without a valid key
// gets its 401 before one body byte is read or buffered, and no "100 Continue". Probes have no
// body, so --open-health is unaffected; bodyless requests are checked by the router as before.
HeaderCheck BodyAuthCheck(const ApiKeys* keys, ServerMetrics* metrics, AccessLog* log) {
  return [keys, metrics, log](const HttpRequest& h) -> std::optional<HttpResponse> {
    if (!keys->enabled()) return std::nullopt;
    if (keys->CheckHeaders(h.Header("authorization"), h.Header("x-api-key"))) return std::nullopt;
    metrics->rejected.With({"unauthorized"}).Inc();
    const ApiError e = HttpError(
        401, "missing or invalid API key; expected 'Authorization: Bearer <key>' or 'x-api-key: <key>'",
        "invalid_api_key");
    if (log != nullptr) {
      AccessRecord rec;
      rec.remote = h.remote;
      rec.method = h.method;
      rec.path = h.path;
      rec.route = "auth";
      rec.status = 401;
      rec.error_code = e.code;
      log->Write(rec);
    }
    return ErrorResponse(e);
  };
}

}  // namespace

Status ValidateOptions(const ServerOptions& o) {
  HG_RETURN_IF_ERROR(AtLeast("--max-batch", o.scheduler.max_batch, 1));
  HG_RETURN_IF_ERROR(AtLeast("--batch-timeout-ms", o.scheduler.batch_timeout_ms, 0));
  HG_RETURN_IF_ERROR(AtLeast("--queue-size", o.scheduler.queue_size, 1));
  HG_RETURN_IF_ERROR(AtLeast("--concurrency", o.scheduler.concurrency, 1));
  HG_RETURN_IF_ERROR(AtLeast("--http-threads", o.http.handler_threads, 1));
  HG_RETURN_IF_ERROR(AtLeast("--max-connections", o.http.max_connections, 1));
  HG_RETURN_IF_ERROR(
      AtLeast("--max-connections-per-client", o.http.max_connections_per_client, 0));
  HG_RETURN_IF_ERROR(AtLeast("--header-timeout-ms", o.http.header_timeout_ms, 1));
  HG_RETURN_IF_ERROR(AtLeast("--max-inflight-body-bytes", o.http.max_inflight_body_bytes, 1));
  HG_RETURN_IF_ERROR(
      AtLeast("--max-body-bytes", static_cast<int64_t>(o.http.limits.max_body_bytes), 1));
  HG_RETURN_IF_ERROR(AtLeast("--client-timeout-ms", o.http.client_timeout_ms, 1));
  HG_RETURN_IF_ERROR(AtLeast("--keepalive-timeout-ms", o.http.keepalive_timeout_ms, 1));
  HG_RETURN_IF_ERROR(AtLeast("--request-timeout-ms", o.router.request_timeout_ms, 1));
  HG_RETURN_IF_ERROR(AtLeast("--max-inputs", o.router.limits.max_inputs, 1));
  HG_RETURN_IF_ERROR(AtLeast("--max-input-bytes", o.router.limits.max_input_bytes, 1));
  HG_RETURN_IF_ERROR(
      AtLeast("--monitor-max-body-bytes", static_cast<int64_t>(o.monitor.max_body_bytes), 1));
  if (o.monitor.queue.empty()) {
    HG_RETURN_IF_ERROR(monitor::ValidateLocalQueueOptions(o.monitor.local));
  } else {
    monitor::RedisQueueOptions redis = o.monitor.redis;
    redis.url = o.monitor.queue;
    HG_RETURN_IF_ERROR(monitor::ValidateRedisQueueOptions(redis));
  }
  if (o.router.proxy.enabled()) {
    proxy::ProxyOptions p = o.router.proxy;
    HG_RETURN_IF_ERROR(proxy::ValidateProxyOptions(&p));
  }
  if (o.router.limits.max_inputs > o.scheduler.queue_size) {
    return InvalidArgumentError("--max-inputs: expected <= --queue-size (" +
                                std::to_string(o.scheduler.queue_size) + "), got " +
                                std::to_string(o.router.limits.max_inputs));
  }
  return OkStatus();
}

StatusOr<std::unique_ptr<GuardServer>> GuardServer::Start(const ServerOptions& options) {
  HG_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<GuardServer> s(new GuardServer());
  s->opts_ = options;
  if (s->opts_.router.proxy.enabled()) {
    HG_RETURN_IF_ERROR(proxy::ValidateProxyOptions(&s->opts_.router.proxy));  // normalises the URL
  }
  HG_ASSIGN_OR_RETURN(s->keys_, ApiKeys::Load(options.api_keys, options.api_key_file));
  if (!options.access_log.empty()) {
    HG_ASSIGN_OR_RETURN(s->access_log_, AccessLog::Open(options.access_log));
  }
  s->metrics_ = std::make_unique<ServerMetrics>(s->registry_);
  s->router_ = std::make_unique<Router>(s->opts_.router, &s->keys_, &s->registry_,
                                        s->metrics_.get(), s->access_log_.get());
  if (s->opts_.router.proxy.enabled()) {
    HG_ASSIGN_OR_RETURN(s->upstream_, proxy::UpstreamPool::Start(s->opts_.router.proxy.upstream));
    s->router_->SetUpstream(s->upstream_.get());
    HG_LOG(INFO) << "serve: guard proxy mode; upstream " << s->opts_.router.proxy.upstream.base_url;
  }
  if (!options.monitor.queue.empty()) {
    monitor::RedisQueueOptions redis = options.monitor.redis;
    redis.url = options.monitor.queue;
    HG_ASSIGN_OR_RETURN(s->redis_monitor_, monitor::RedisQueue::Connect(redis));
    s->router_->SetMonitor(s->redis_monitor_.get());
  }
  HttpServerOptions http = options.http;
  http.limits.path_body_limits.emplace_back("/v1/monitor/jobs", options.monitor.max_body_bytes);
  GuardServer* self = s.get();
  s->registry_.AddCallbackGauge(
      "haloguard_ready", "1 when the model is loaded and not draining.",
      [self] { return self->router_->state() == ServingState::kReady ? 1.0 : 0.0; });
  s->registry_.AddCallbackGauge("haloguard_queue_depth", "Sequences waiting for a batch.", [self] {
    return self->router_->state() == ServingState::kLoading || !self->scheduler_
               ? 0.0
               : static_cast<double>(self->scheduler_->queued());
  });
  s->registry_.AddCallbackGauge(
      "haloguard_http_open_connections", "Open client connections.",
      [self] { return static_cast<double>(self->http_->open_connections()); });
  s->registry_.AddCallbackGauge(
      "haloguard_http_active_requests", "Requests being handled.",
      [self] { return static_cast<double>(self->http_->active_requests()); });
  s->registry_.AddCallbackGauge(
      "haloguard_http_inflight_body_bytes",
      "Request body bytes held or announced, against --max-inflight-body-bytes.",
      [self] { return static_cast<double>(self->http_->inflight_body_bytes()); });
  Router* router = s->router_.get();
  HG_ASSIGN_OR_RETURN(s->http_,
                      HttpServer::Start(
                          http,
                          [router](HttpRequest req, Responder respond) {
                            router->Handle(std::move(req), std::move(respond));
                          },
                          [router](int status, const std::string& msg, const std::string& remote) {
                            return router->ProtocolError(status, msg, remote);
                          },
                          BodyAuthCheck(&s->keys_, s->metrics_.get(), s->access_log_.get())));
  if (!s->keys_.enabled() && options.http.host != "127.0.0.1" && options.http.host != "localhost" &&
      options.http.host != "::1") {
    HG_LOG(WARNING) << "serve: no API keys configured and listening on " << options.http.host
                    << "; anyone who can reach the port can use the guard";
  }
  return s;
}

void GuardServer::SetClassifier(std::unique_ptr<guard::Classifier> classifier) {
  std::lock_guard<std::mutex> lock(mu_);
  if (drained_) return;
  HG_CHECK(classifier_ == nullptr) << "SetClassifier called twice";
  classifier_ = std::move(classifier);
  scheduler_ =
      std::make_unique<Scheduler>(classifier_.get(), opts_.scheduler, metrics_->ForScheduler());
  router_->SetBackend(classifier_.get(), scheduler_.get());
  if (opts_.monitor.queue.empty()) {
    monitor::LocalQueueOptions local = opts_.monitor.local;
    // The synchronous lane keeps priority: monitor jobs start no window call while
    // classification requests wait or run (docs/MONITOR.md, "Priority").
    Scheduler* sched = scheduler_.get();
    local.run.foreground_busy = [sched] { return sched->pending_jobs() > 0; };
    local_monitor_ = std::make_unique<monitor::LocalQueue>(classifier_.get(), std::move(local));
    router_->SetMonitor(local_monitor_.get());
  }
}

Status GuardServer::Reload() {
  std::lock_guard<std::mutex> lock(mu_);
  Status result = OkStatus();
  const auto report = [&result](const char* what, const Status& st) {
    if (st.ok()) {
      HG_LOG(INFO) << "serve: reload: " << what << " reloaded";
    } else {
      HG_LOG(ERROR) << "serve: reload: " << what << " rejected, the old one stays: "
                    << st.message();
      if (result.ok()) result = st;
    }
  };
  if (!opts_.api_key_file.empty()) report("API keys", keys_.Reload(opts_.api_keys, opts_.api_key_file));
  if (classifier_ != nullptr) {
    const Status st = classifier_->ReloadFiles();
    if (st.code() != StatusCode::kUnimplemented) report("policy, calibration and attack rules", st);
  }
  return result;
}

bool GuardServer::Drain(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  if (drained_) return drain_result_;
  drained_ = true;
  if (http_ == nullptr) return true;  // Start failed before listening: nothing runs yet
  router_->SetDraining();
  http_->SetDraining();
  const Clock::time_point end = Clock::now() + timeout;
  auto busy = [this] {
    return (scheduler_ && scheduler_->pending_jobs() > 0) || http_->active_requests() > 0;
  };
  while (busy() && Clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  drain_result_ = !busy();
  if (scheduler_) scheduler_->Stop();
  http_->Stop();
  if (upstream_) upstream_->Stop();  // transfers of connections the HTTP server just closed
  if (local_monitor_) local_monitor_->Stop();
  return drain_result_;
}

GuardServer::~GuardServer() { Drain(std::chrono::milliseconds(0)); }

}  // namespace haloguard::server
