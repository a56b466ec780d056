// hg_fake_worker: `haloguard worker` with the deterministic FakeClassifier instead of a model, for
// the Redis tests (kill -9 mid-job, restarts) and the monitor load test. Same RedisWorker, same
// RunWorkerUntilSignal, same flag parser; prints "READY <name>" on stdout once its loops run.
// Test tool only.
#include <cstdio>
#include <string>

#include "cli/flags.h"
#include "monitor/worker_main.h"
#include "server/testing/fake_classifier.h"

namespace {

using haloguard::cli::FlagSet;
using haloguard::monitor::WorkerRun;
using haloguard::server::testing::FakeClassifier;
using haloguard::server::testing::FakeClassifierOptions;

struct Flags {
  WorkerRun run;
  FakeClassifierOptions fake;
  int64_t concurrency = 0, max_attempts = 0, windows_per_call = 0, drain_timeout_ms = 0;
};

// Declares the flags; the integer ones start from the worker's own defaults.
void Declare(FlagSet& f, Flags& s) {
  haloguard::monitor::RedisWorkerOptions& w = s.run.worker;
  s.concurrency = w.concurrency;
  s.max_attempts = w.max_attempts;
  s.windows_per_call = w.run.windows_per_call;
  s.drain_timeout_ms = s.run.drain_timeout.count();
  f.String("queue", &w.queue.url, "Redis queue URL");
  f.String("queue-prefix", &w.queue.prefix, "Redis key prefix");
  f.String("name", &w.name, "consumer name prefix");
  f.Int("concurrency", &s.concurrency, "jobs run at once");
  f.Int("visibility-timeout-ms", &w.visibility_timeout_ms, "takeover after this silence");
  f.Int("heartbeat-ms", &w.heartbeat_ms, "heartbeat period");
  f.Int("block-ms", &w.block_ms, "longest wait per read");
  f.Int("max-attempts", &s.max_attempts, "starts of one job before worker_lost");
  f.Int("windows-per-call", &s.windows_per_call, "windows per scoring call");
  f.Int("drain-timeout-ms", &s.drain_timeout_ms, "drain on SIGTERM/SIGINT");
  f.Double("item-cost-ms", &s.fake.item_cost_ms, "fake compute cost per window");
}

void Finalize(Flags& s) {
  haloguard::monitor::RedisWorkerOptions& w = s.run.worker;
  w.concurrency = static_cast<int>(s.concurrency);
  w.max_attempts = static_cast<int>(s.max_attempts);
  w.run.windows_per_call = static_cast<int>(s.windows_per_call);
  s.run.drain_timeout = std::chrono::milliseconds(s.drain_timeout_ms);
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  FlagSet flags("fake-worker", "--queue redis://HOST:PORT [flags]");
  flags.RefusePositional();
  Declare(flags, f);
  int code = 0;
  if (!haloguard::cli::ParseOrExit(flags, argc, argv, &code)) return code;
  Finalize(f);
  f.run.on_ready = [](const haloguard::monitor::RedisWorker& w) {
    std::printf("READY %s\n", w.name().c_str());
    std::fflush(stdout);
  };
  const FakeClassifierOptions fake = f.fake;
  return haloguard::monitor::RunWorkerUntilSignal(f.run, [fake]() -> haloguard::guard::ClassifierLoader::result_type {
    return std::unique_ptr<haloguard::guard::Classifier>(new FakeClassifier(fake));
  });
}
