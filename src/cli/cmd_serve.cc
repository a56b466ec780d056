// `haloguard serve`: flags (each also HALOGUARD_<FLAG>) -> server::ServeUntilSignal with the
// model-backed classifier from guard::LoadClassifier.
#include <algorithm>
#include <cstdio>
#include <limits>

#include "cli/command.h"
#include "cli/flags.h"
#include "cli/guard_flags.h"
#include "core/log.h"
#include "guard/guard.h"
#include "hub/hub.h"
#include "server/serve_main.h"

namespace haloguard::cli {
namespace {

struct ServeFlags {
  guard::GuardOptions guard;
  server::ServerOptions server;
  int64_t port = 8000, threads = 0, max_batch = 16, queue_size = 256, concurrency = 1;
  int64_t http_threads = 2, max_connections = 512, max_body_bytes = 1 << 20;
  int64_t drain_timeout_ms = 30000;
  std::string weights = "exact";
};

void Declare(FlagSet& f, ServeFlags& s) {
  server::ServerOptions& o = s.server;
  f.String("model", &s.guard.model, "checkpoint directory or Hugging Face repo id (pulled on first use)");
  f.String("host", &o.http.host, "address to listen on (IP literal or localhost)");
  f.Int("port", &s.port, "TCP port (0 = pick a free one)");
  f.Int("threads", &s.threads, "compute threads for the model (0 = all cores)");
  f.Int("max-batch", &s.max_batch, "sequences per batched forward pass");
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
  f.Int("drain-timeout-ms", &s.drain_timeout_ms, "longest graceful drain on SIGTERM/SIGINT");
  f.List("api-key", &o.api_keys, "accepted bearer key (repeatable; commas separate several)");
  f.String("api-key-file", &o.api_key_file, "file with one accepted bearer key per line");
  f.Bool("open-health", &o.router.open_health,
         "serve /health, /healthz, /readyz, /metrics without a key");
  f.String("access-log", &o.access_log, "JSON-lines access log: a file, or - for stdout");
  f.Bool("log-prompts", &o.router.log_prompts, "include input texts in the access log");
  f.Bool("debug-fields", &o.router.include_debug, "include _debug in /v1/classify results");
  f.String("served-model-name", &o.router.served_model_name, "model name listed by /v1/models");
  f.Double("threshold", &s.guard.threshold, "unsafe iff p_unsafe >= threshold");
  f.Int("window-length", &s.guard.window_length, "user-text tokens per window");
  f.Int("window-stride", &s.guard.window_stride, "tokens between window starts");
  f.String("policy", &s.guard.policy_file, "JSON policy file");
  f.String("calibration", &s.guard.calibration_file, "temperature-scaling file");
  f.String("attack-rules", &s.guard.attack_rules_file, "extra attack-overlay rules");
  f.Bool("offline", &s.guard.offline, "never touch the network when resolving --model");
  f.Int("max-input-tokens", &s.guard.max_input_tokens, "user-text tokens accepted per input (400 beyond)");
  f.String("weights", &s.weights, kWeightsHelp);
  f.Int("background-chunk-tokens", &s.guard.background_chunk_tokens,
        "monitor-lane prefill piece: the most background work a request can wait behind");
}

// Saturates instead of wrapping, so an absurd flag value fails validation rather than turning
// into a small valid one.
int ToInt(int64_t v) {
  return static_cast<int>(
      std::clamp<int64_t>(v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

void Finalize(ServeFlags& s) {
  s.server.http.port = ToInt(s.port);
  s.server.http.handler_threads = ToInt(s.http_threads);
  s.server.http.max_connections = ToInt(s.max_connections);
  s.server.http.limits.max_body_bytes = static_cast<size_t>(std::max<int64_t>(0, s.max_body_bytes));
  s.server.scheduler.max_batch = ToInt(s.max_batch);
  s.server.scheduler.queue_size = ToInt(s.queue_size);
  s.server.scheduler.concurrency = ToInt(s.concurrency);
  s.guard.threads = ToInt(s.threads);
  s.guard.max_batch = ToInt(s.max_batch);
}

int RunServe(int argc, char** argv) {
  ServeFlags s;
  s.guard.model = hub::kDefaultRepoId;
  FlagSet flags("serve", "--model DIR [--host 127.0.0.1] [--port 8000] [flags]", /*use_env=*/true);
  Declare(flags, s);
  int code = 0;
  if (!ParseOrExit(flags, argc, argv, &code)) return code;
  Finalize(s);
  const StatusOr<model::WeightMode> mode = ParseWeightMode(s.weights);
  if (!mode.ok()) {
    std::fprintf(stderr, "haloguard serve: %s\n", mode.status().ToString().c_str());
    return 2;
  }
  s.guard.weights = *mode;
  if (s.guard.model.empty()) {
    std::fprintf(stderr, "haloguard serve: --model is required (or HALOGUARD_MODEL)\n");
    return 2;
  }
  server::ServeRun run{s.server, std::chrono::milliseconds(s.drain_timeout_ms), nullptr};
  const guard::GuardOptions guard_options = s.guard;
  return server::ServeUntilSignal(run, [&guard_options] {
    HG_LOG(INFO) << "serve: loading " << guard_options.model;
    return guard::LoadClassifier(guard_options);
  });
}

}  // namespace

HG_REGISTER_COMMAND("serve", "HTTP guard server (classify, OpenAI chat/moderations, metrics)",
                    RunServe);

}  // namespace haloguard::cli
