// GuardServer: the `haloguard serve` process in one object. Listens first (so /healthz answers
// and /readyz says 503 while the model loads), classifies once SetClassifier is called, and
// drains gracefully: refuse new work with 503, finish in-flight requests, then stop.
//
//   HG_ASSIGN_OR_RETURN(auto server, GuardServer::Start(options));
//   server->SetClassifier(std::move(classifier));
//   ... wait for SIGTERM ...
//   server->Drain(std::chrono::seconds(30));
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "guard/result.h"
#include "monitor/local_queue.h"
#include "monitor/redis_queue.h"
#include "server/http_server.h"
#include "server/routes.h"
#include "server/scheduler.h"

namespace haloguard::server {

// The monitor lane (/v1/monitor/jobs). In-process by default; with a redis:// queue the server
// only stores jobs and `haloguard worker` processes run them.
struct MonitorOptions {
  std::string queue;                         // "" = in-process LocalQueue, else a redis:// URL
  monitor::LocalQueueOptions local;          // in-process workers, limits, result TTL
  monitor::RedisQueueOptions redis;          // `url` is taken from `queue`
  size_t max_body_bytes = size_t{16} << 20;  // POST /v1/monitor/jobs body limit (413 beyond)
};

struct ServerOptions {
  HttpServerOptions http;
  SchedulerOptions scheduler;
  RouterOptions router;
  std::vector<std::string> api_keys;  // see ApiKeys::Load
  std::string api_key_file;
  std::string access_log;  // "" = none, "-" = stdout, else a file
  MonitorOptions monitor;
};

// Checks option ranges; INVALID_ARGUMENT naming the flag ("--max-batch: expected >= 1, got 0").
Status ValidateOptions(const ServerOptions& options);

class GuardServer {
 public:
  // Validates options, loads API keys, opens the access log, connects to the monitor's Redis
  // (when configured), binds and starts serving in the "loading" state. Errors:
  // INVALID_ARGUMENT / NOT_FOUND / UNAVAILABLE from the steps above.
  static StatusOr<std::unique_ptr<GuardServer>> Start(const ServerOptions& options);
  ~GuardServer();  // Drain(0)

  // Loading -> ready. Starts the scheduler (and the in-process monitor workers) over
  // `classifier`. Call once; ignored (the classifier is dropped) once Drain has begun.
  // Thread-safe with Drain.
  void SetClassifier(std::unique_ptr<guard::Classifier> classifier);

  // Refuses new work (503 + Connection: close), waits up to `timeout` for queued and in-flight
  // requests to be answered and written, then stops every thread. In-process monitor jobs
  // still running are cancelled (they are not durable; use a Redis queue for that). Returns
  // true if no classification request was cut off. Idempotent.
  bool Drain(std::chrono::milliseconds timeout);

  // SIGHUP: reloads what can change without a restart, each part atomically: the API key file
  // (when --api-key-file is set) and the classifier's policy, calibration and attack-rule files.
  // A part whose new file is bad is rejected with an ERROR log line and keeps its old value;
  // the first such error is returned. Parts that reloaded are logged at INFO. Thread-safe.
  Status Reload();

  int port() const { return http_->port(); }
  const Router& router() const { return *router_; }

 private:
  GuardServer() = default;

  ServerOptions opts_;
  ApiKeys keys_;
  MetricsRegistry registry_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<AccessLog> access_log_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<guard::Classifier> classifier_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<monitor::LocalQueue> local_monitor_;  // in-process lane, or
  std::unique_ptr<monitor::RedisQueue> redis_monitor_;  // the Redis lane's client side
  std::unique_ptr<proxy::UpstreamPool> upstream_;  // proxy mode (--upstream); stops after http_
  std::unique_ptr<HttpServer> http_;
  std::mutex mu_;  // orders SetClassifier against Drain
  bool drained_ = false;
  bool drain_result_ = true;
};

}  // namespace haloguard::server
