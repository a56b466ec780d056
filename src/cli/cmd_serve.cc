// `haloguard serve`: flags (each also HALOGUARD_<FLAG>) -> server::ServeUntilSignal with the
// model-backed classifier from guard::LoadClassifier.
#include <algorithm>
#include <cstdio>
#include <limits>

#include "cli/command.h"
#include "cli/flags.h"
#include "cli/guard_flags.h"
#include "cli/proxy_flags.h"
#include "core/log.h"
#include "guard/guard.h"
#include "hub/hub.h"
#include "server/serve_main.h"

namespace haloguard::cli {
namespace {

struct ServeFlags {
  GuardFlags guard;
  ProxyFlags proxy;
  server::ServerOptions server;
  int64_t port = 8000, queue_size = 256, concurrency = 1;
  int64_t http_threads = 2, max_connections = 512, max_body_bytes = 1 << 20;
  int64_t drain_timeout_ms = 30000;
  int64_t monitor_workers = 1, monitor_queue_size = 0, monitor_max_body_bytes = 16 << 20;
  int64_t monitor_windows_per_call = 4, monitor_result_ttl_s = 3600, monitor_job_ttl_s = 86400;
  bool no_ui = false;
};

// The monitor lane (docs/MONITOR.md): in-process by default, or a Redis Streams queue.
void DeclareMonitor(FlagSet& f, ServeFlags& s) {
  server::MonitorOptions& m = s.server.monitor;
  f.String("queue", &m.queue,
           "monitor job queue: empty = in-process workers; redis://[:PASSWORD@]HOST[:PORT][/DB] "
           "= Redis Streams run by `haloguard worker`");
  f.String("queue-prefix", &m.redis.prefix, "Redis key prefix of the monitor queue");
  f.Int("monitor-workers", &s.monitor_workers, "in-process monitor jobs running at once");
  f.Int("monitor-queue-size", &s.monitor_queue_size,
        "monitor jobs waiting (in-process) or waiting + running (Redis); beyond it 429 "
        "(0 = 1024 in-process, 100000 with Redis)");
  f.Int("monitor-queue-bytes", &m.local.max_pending_bytes,
        "input bytes of in-process monitor jobs waiting or running; beyond it 429");
  f.Int("monitor-max-body-bytes", &s.monitor_max_body_bytes,
        "largest POST /v1/monitor/jobs body (413 beyond); --max-body-bytes is for the rest");
  f.Int("monitor-windows-per-call", &s.monitor_windows_per_call,
        "windows per background scoring call (progress and cancel granularity)");
  f.Int("monitor-result-ttl-s", &s.monitor_result_ttl_s, "seconds a finished monitor job is kept");
  f.Int("monitor-job-ttl-s", &s.monitor_job_ttl_s,
        "Redis: seconds an unfinished job lives without progress");
  f.Int("monitor-max-finished", &s.server.monitor.local.max_finished_jobs,
        "in-process: finished monitor jobs kept at most (oldest dropped first)");
}

void Declare(FlagSet& f, ServeFlags& s) {
  server::ServerOptions& o = s.server;
  f.String("host", &o.http.host, "address to listen on (IP literal or localhost)");
  f.Int("port", &s.port, "TCP port (0 = pick a free one)");
  f.Int("batch-timeout-ms", &o.scheduler.batch_timeout_ms, "longest wait for a batch to fill");
  f.Int("queue-size", &s.queue_size, "sequences waiting for a batch; beyond it requests get 429");
  f.Int("concurrency", &s.concurrency, "batched forward passes in flight at once");
  f.Int("http-threads", &s.http_threads, "threads parsing requests and rendering responses");
  f.Int("max-connections", &s.max_connections, "open connections; beyond it new ones get 503");
  f.Int("max-body-bytes", &s.max_body_bytes, "largest request body (413 beyond)");
  f.Int("max-input-bytes", &o.router.limits.max_input_bytes, "largest text per input (400 beyond)");
  f.Int("max-inputs", &o.router.limits.max_inputs, "texts per request (queries[] / input[])");
  f.Int("request-timeout-ms", &o.router.request_timeout_ms, "deadline per request (504 beyond)");
  f.Int("client-timeout-ms", &o.http.client_timeout_ms,
        "time a client has to send a request (408)");
  f.Int("keepalive-timeout-ms", &o.http.keepalive_timeout_ms,
        "idle keep-alive connection lifetime");
  f.Int("max-connections-per-client", &o.http.max_connections_per_client,
        "open connections from one client IP address (0 = no cap; behind a load balancer: "
        "docs/SECURITY.md)");
  f.Int("header-timeout-ms", &o.http.header_timeout_ms,
        "time a new connection has to send its first request's headers");
  f.Int("max-inflight-body-bytes", &o.http.max_inflight_body_bytes,
        "request body bytes held across all connections; beyond it 503");
  f.Int("drain-timeout-ms", &s.drain_timeout_ms, "longest graceful drain on SIGTERM/SIGINT");
  f.List("api-key", &o.api_keys, "accepted bearer key (repeatable; commas separate several)");
  f.String("api-key-file", &o.api_key_file, "file with one accepted bearer key per line");
  f.Bool("open-health", &o.router.open_health,
         "serve /health, /healthz, /readyz, /metrics without a key");
  f.String("access-log", &o.access_log, "JSON-lines access log: a file, or - for stdout");
  f.Bool("log-prompts", &o.router.log_prompts, "include input texts in the access log");
  f.Bool("debug-fields", &o.router.include_debug, "include _debug in /v1/classify results");
  f.Bool("no-ui", &s.no_ui, "turn off the web console at GET / (docs/CONSOLE.md)");
  f.String("served-model-name", &o.router.served_model_name, "model name listed by /v1/models");
  AddGuardFlags(f, &s.guard);
  AddProxyFlags(f, &s.proxy);
}

void Finalize(ServeFlags& s) {
  s.server.http.port = SaturateInt(s.port);
  s.server.router.ui = !s.no_ui;
  s.server.http.handler_threads = SaturateInt(s.http_threads);
  s.server.http.max_connections = SaturateInt(s.max_connections);
  s.server.http.limits.max_body_bytes = static_cast<size_t>(std::max<int64_t>(0, s.max_body_bytes));
  s.server.scheduler.max_batch = SaturateInt(s.guard.max_batch);
  s.server.scheduler.queue_size = SaturateInt(s.queue_size);
  s.server.scheduler.concurrency = SaturateInt(s.concurrency);
  server::MonitorOptions& m = s.server.monitor;
  m.local.workers = SaturateInt(s.monitor_workers);
  if (s.monitor_queue_size != 0) {
    m.local.max_queued_jobs = m.redis.max_queued_jobs = s.monitor_queue_size;
  }
  m.max_body_bytes = static_cast<size_t>(std::max<int64_t>(0, s.monitor_max_body_bytes));
  m.local.run.windows_per_call = SaturateInt(s.monitor_windows_per_call);
  m.local.result_ttl_ms = m.redis.result_ttl_ms = SecondsToMs(s.monitor_result_ttl_s);
  m.redis.job_ttl_ms = SecondsToMs(s.monitor_job_ttl_s);
}

int RunServe(int argc, char** argv) {
  ServeFlags s;
  s.guard.guard.model = hub::kDefaultRepoId;
  FlagSet flags("serve", "[--model DIR|REPO] [--host H] [--port P] [flags]", /*use_env=*/true);
  flags.RefusePositional();
  Declare(flags, s);
  DeclareMonitor(flags, s);
  int code = 0;
  if (!ParseOrExit(flags, argc, argv, &code)) return code;
  Finalize(s);
  if (const Status st = FinishProxyFlags(&s.proxy); !st.ok()) return ReportError("serve", st, 2);
  s.server.router.proxy = s.proxy.options;
  if (s.guard.guard.model.empty()) {
    std::fprintf(stderr, "haloguard serve: --model is required (or HALOGUARD_MODEL)\n");
    return 2;
  }
  const StatusOr<guard::GuardOptions> options = GuardOptionsFrom(s.guard);
  if (!options.ok()) return ReportError("serve", options.status(), 2);
  server::ServeRun run{s.server, std::chrono::milliseconds(s.drain_timeout_ms), nullptr};
  const guard::GuardOptions guard_options = *options;
  return server::ServeUntilSignal(run, [&guard_options] {
    HG_LOG(INFO) << "serve: loading " << guard_options.model;
    return guard::LoadClassifier(guard_options);
  });
}

}  // namespace

HG_REGISTER_COMMAND("serve",
                    "HTTP guard server (classify, OpenAI chat/moderations, metrics; guard proxy "
                    "in front of an LLM with --upstream)",
                    RunServe);

}  // namespace haloguard::cli
