// `haloguard worker --queue redis://HOST:PORT --model DIR`: a monitor-lane worker process
// (docs/MONITOR.md). Flags (each also HALOGUARD_<FLAG>) -> monitor::RunWorkerUntilSignal with
// the model-backed classifier from guard::LoadClassifier.
#include <cstdio>

#include "cli/command.h"
#include "cli/flags.h"
#include "cli/guard_flags.h"
#include "core/log.h"
#include "guard/guard.h"
#include "monitor/worker_main.h"

namespace haloguard::cli {
namespace {

struct WorkerFlags {
  GuardFlags model;
  monitor::WorkerRun run;
  int64_t concurrency = 1, max_attempts = 5, windows_per_call = 4;
  int64_t drain_timeout_ms = 30000, result_ttl_s = 3600, job_ttl_s = 86400;
};

void Declare(FlagSet& f, WorkerFlags& w) {
  monitor::RedisWorkerOptions& o = w.run.worker;
  f.String("queue", &o.queue.url, "Redis queue: redis://[:PASSWORD@]HOST[:PORT][/DB] (required)");
  f.String("queue-prefix", &o.queue.prefix, "Redis key prefix (must match the server's)");
  f.String("name", &o.name, "consumer name prefix (default HOSTNAME-PID-RANDOM)");
  f.Int("concurrency", &w.concurrency, "jobs run at once by this process");
  f.Int("visibility-timeout-ms", &o.visibility_timeout_ms,
        "a job whose worker sent no heartbeat for this long is taken over by another worker");
  f.Int("heartbeat-ms", &o.heartbeat_ms, "heartbeat period (0 = visibility timeout / 4)");
  f.Int("block-ms", &o.block_ms, "longest wait for a new job per read (also the stop latency)");
  f.Int("max-attempts", &w.max_attempts, "starts of one job before it fails as worker_lost");
  f.Int("windows-per-call", &w.windows_per_call,
        "windows per background scoring call (progress and cancel granularity)");
  f.Int("drain-timeout-ms", &w.drain_timeout_ms,
        "on SIGTERM/SIGINT, how long running jobs may finish before they are handed back");
  f.Int("result-ttl-s", &w.result_ttl_s, "seconds a finished job is kept in Redis");
  f.Int("job-ttl-s", &w.job_ttl_s, "seconds an unfinished job lives without progress");
  AddGuardFlags(f, &w.model);
}

void Finalize(WorkerFlags& w) {
  monitor::RedisWorkerOptions& o = w.run.worker;
  o.concurrency = SaturateInt(w.concurrency);
  o.max_attempts = SaturateInt(w.max_attempts);
  o.run.windows_per_call = SaturateInt(w.windows_per_call);
  o.queue.result_ttl_ms = SecondsToMs(w.result_ttl_s);
  o.queue.job_ttl_ms = SecondsToMs(w.job_ttl_s);
  w.run.drain_timeout = std::chrono::milliseconds(w.drain_timeout_ms);
}

int RunWorker(int argc, char** argv) {
  WorkerFlags w;
  FlagSet flags("worker", "--queue redis://HOST:PORT --model DIR [flags]", /*use_env=*/true);
  flags.RefusePositional();
  Declare(flags, w);
  int code = 0;
  if (!ParseOrExit(flags, argc, argv, &code)) return code;
  Finalize(w);
  if (w.run.worker.queue.url.empty() || w.model.guard.model.empty()) {
    std::fprintf(stderr,
                 "haloguard worker: --queue and --model are required (or "
                 "HALOGUARD_QUEUE / HALOGUARD_MODEL)\n");
    return 2;
  }
  const StatusOr<guard::GuardOptions> options = GuardOptionsFrom(w.model);
  if (!options.ok()) return ReportError("worker", options.status(), 2);
  const guard::GuardOptions guard_options = *options;
  return monitor::RunWorkerUntilSignal(w.run, [&guard_options] {
    HG_LOG(INFO) << "worker: loading " << guard_options.model;
    return guard::LoadClassifier(guard_options);
  });
}

}  // namespace

HG_REGISTER_COMMAND("worker", "monitor-lane worker: runs jobs from a Redis queue (scale-out)",
                    RunWorker);

}  // namespace haloguard::cli
