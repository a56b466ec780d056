// RunWorkerUntilSignal: the life of a `haloguard worker` process, shared by the real command and
// the fake-model test worker: load the classifier, consume jobs from Redis, and on
// SIGTERM/SIGINT stop taking jobs, finish running ones (up to a drain timeout) and exit 0.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "core/status.h"
#include "guard/result.h"
#include "monitor/redis_worker.h"

namespace haloguard::monitor {

using guard::ClassifierLoader;

struct WorkerRun {
  RedisWorkerOptions worker;
  std::chrono::milliseconds drain_timeout{30000};
  std::function<void(const RedisWorker&)> on_ready;  // optional; once the loops run
};

// Blocks SIGTERM/SIGINT in the calling thread (call it before starting other threads; a
// dedicated thread sigwait()s). Returns the exit code: 0 after a signal and a drain (a signal
// while loading exits 0 at once), 1 when the model can't be loaded or Redis can't be reached,
// 2 for invalid options.
int RunWorkerUntilSignal(const WorkerRun& run, const ClassifierLoader& load);

}  // namespace haloguard::monitor
