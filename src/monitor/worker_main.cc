// RunWorkerUntilSignal implementation: options are checked first, then the model loads on the
// main thread while a sigwait thread turns an early signal into an immediate exit.
#include "monitor/worker_main.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "core/log.h"
#include "core/signals.h"

namespace haloguard::monitor {

int RunWorkerUntilSignal(const WorkerRun& run, const ClassifierLoader& load) {
  const sigset_t set = BlockTerminationSignals();

  if (Status s = ValidateRedisWorkerOptions(run.worker); !s.ok()) {
    std::fprintf(stderr, "haloguard worker: %s\n", s.message().c_str());
    return 2;
  }
  // The signal thread outlives this frame only in the early-exit path, which never returns.
  static std::atomic<bool> started{false};
  static std::atomic<int> signal_number{0};
  std::thread([set] {
    int sig = 0;
    sigwait(&set, &sig);
    signal_number.store(sig);
    if (!started.load()) {
      std::fflush(nullptr);
      _exit(0);  // nothing taken from the queue yet
    }
  }).detach();

  StatusOr<std::unique_ptr<guard::Classifier>> classifier = load();
  if (!classifier.ok()) {
    std::fprintf(stderr, "haloguard worker: cannot load the model: %s\n",
                 classifier.status().message().c_str());
    return 1;
  }
  started.store(true);
  if (signal_number.load() != 0) return 0;
  StatusOr<std::unique_ptr<RedisWorker>> worker = RedisWorker::Start(classifier->get(), run.worker);
  if (!worker.ok()) {
    std::fprintf(stderr, "haloguard worker: %s\n", worker.status().message().c_str());
    return worker.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (run.on_ready) run.on_ready(**worker);
  while (signal_number.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  HG_LOG(INFO) << "worker: signal " << signal_number.load() << "; draining (up to "
               << run.drain_timeout.count() << " ms)";
  (*worker)->Stop(run.drain_timeout);
  return 0;
}

}  // namespace haloguard::monitor
