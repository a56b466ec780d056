// hg_fake_worker: `haloguard worker` with the deterministic FakeClassifier instead of a model, for
// the Redis tests (kill -9 mid-job, restarts) and the monitor load test. Same RedisWorker, same
// RunWorkerUntilSignal; prints "READY <name>" on stdout once its loops run. Test tool only.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "monitor/worker_main.h"
#include "server/testing/fake_classifier.h"

namespace {

using haloguard::monitor::WorkerRun;
using haloguard::server::testing::FakeClassifier;
using haloguard::server::testing::FakeClassifierOptions;

struct Flags {
  WorkerRun run;
  FakeClassifierOptions fake;
};

// "--name=value" or "--name value"; returns false on an unknown flag.
bool Apply(Flags& f, const std::string& name, const std::string& v) {
  auto& w = f.run.worker;
  const auto num = [&v] { return std::strtoll(v.c_str(), nullptr, 10); };
  if (name == "queue") {
    w.queue.url = v;
  } else if (name == "queue-prefix") {
    w.queue.prefix = v;
  } else if (name == "name") {
    w.name = v;
  } else if (name == "concurrency") {
    w.concurrency = static_cast<int>(num());
  } else if (name == "visibility-timeout-ms") {
    w.visibility_timeout_ms = num();
  } else if (name == "heartbeat-ms") {
    w.heartbeat_ms = num();
  } else if (name == "block-ms") {
    w.block_ms = num();
  } else if (name == "max-attempts") {
    w.max_attempts = static_cast<int>(num());
  } else if (name == "windows-per-call") {
    w.run.windows_per_call = static_cast<int>(num());
  } else if (name == "drain-timeout-ms") {
    f.run.drain_timeout = std::chrono::milliseconds(num());
  } else if (name == "item-cost-ms") {
    f.fake.item_cost_ms = std::strtod(v.c_str(), nullptr);
  } else {
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0)
      return std::fprintf(stderr, "unexpected argument %s\n", argv[i]), 2;
    std::string name = arg.substr(2), value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    if (!Apply(f, name, value)) return std::fprintf(stderr, "unknown flag --%s\n", name.c_str()), 2;
  }
  f.run.on_ready = [](const haloguard::monitor::RedisWorker& w) {
    std::printf("READY %s\n", w.name().c_str());
    std::fflush(stdout);
  };
  const FakeClassifierOptions fake = f.fake;
  return haloguard::monitor::RunWorkerUntilSignal(
      f.run, [fake]() -> haloguard::StatusOr<std::unique_ptr<haloguard::guard::Classifier>> {
        return std::unique_ptr<haloguard::guard::Classifier>(new FakeClassifier(fake));
      });
}
