// ServeUntilSignal implementation: a sigwait thread and a loader thread report to the main
// thread through one condition variable.
#include "server/serve_main.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "core/signals.h"

namespace haloguard::server {
namespace {

struct Events {
  std::mutex mu;
  std::condition_variable cv;
  int signal = 0;       // the termination signal, once one arrived
  int reloads = 0;      // SIGHUPs not yet handled
  bool loaded = false;
  Status load_status;
};

}  // namespace

// Large buffers (request bodies, monitor documents) come from mmap and go back to the kernel
// when freed. glibc's default raises the mmap threshold after each such free (up to 32 MiB), so
// later bodies land in the heap and a burst of them leaves the RSS high long after (issue 13:
// 927 MB after the connections closed). A fixed threshold turns that adaptation off.
void ReturnLargeBuffersToTheKernel() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}

int ServeUntilSignal(const ServeRun& run, const ClassifierLoader& load) {
  const sigset_t set = BlockTerminationSignals(/*with_reload=*/true);
  IgnoreSigpipe();
  ReturnLargeBuffersToTheKernel();

  StatusOr<std::unique_ptr<GuardServer>> started = GuardServer::Start(run.server);
  if (!started.ok()) {
    std::fprintf(stderr, "haloguard serve: %s\n", started.status().message().c_str());
    return started.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  GuardServer& server = **started;
  HG_LOG(INFO) << "serve: listening on " << run.server.http.host << ":" << server.port();
  if (run.on_listening) run.on_listening(server.port());

  auto ev = std::make_shared<Events>();  // shared: the sigwait thread may outlive this frame
  std::thread([ev, set] {
    for (;;) {
      int sig = 0;
      sigwait(&set, &sig);
      std::lock_guard<std::mutex> lock(ev->mu);
      if (sig == SIGHUP) {
        ++ev->reloads;
      } else {
        ev->signal = sig;
      }
      ev->cv.notify_all();
      if (sig != SIGHUP) return;
    }
  }).detach();
  std::thread loader([ev, &load, &server] {
    StatusOr<std::unique_ptr<guard::Classifier>> c = load();
    if (c.ok()) server.SetClassifier(std::move(c).value());
    std::lock_guard<std::mutex> lock(ev->mu);
    if (!c.ok()) ev->load_status = c.status();
    ev->loaded = true;
    ev->cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(ev->mu);
  for (;;) {
    ev->cv.wait(lock, [&] {
      return ev->signal != 0 || ev->reloads > 0 || (ev->loaded && !ev->load_status.ok());
    });
    if (ev->reloads == 0 || ev->signal != 0 || (ev->loaded && !ev->load_status.ok())) break;
    ev->reloads = 0;
    lock.unlock();
    HG_LOG(INFO) << "serve: SIGHUP; reloading the API key, policy, calibration and attack-rule files";
    [[maybe_unused]] const Status reloaded = server.Reload();  // each part logs its outcome
    lock.lock();
  }
  const int sig = ev->signal;
  const bool loaded = ev->loaded;
  const Status load_status = ev->load_status;
  lock.unlock();
  if (sig == 0) {
    std::fprintf(stderr, "haloguard serve: cannot load the model: %s\n",
                 load_status.message().c_str());
    loader.join();
    server.Drain(std::chrono::milliseconds(0));
    return 1;
  }
  HG_LOG(INFO) << "serve: signal " << sig << "; draining (up to " << run.drain_timeout.count()
               << " ms)";
  const bool clean = server.Drain(run.drain_timeout);
  HG_LOG(INFO) << "serve: drained " << (clean ? "cleanly" : "with requests cut off") << "; exiting";
  if (!loaded) {  // signal during loading: don't wait for the loader
    std::fflush(nullptr);
    _exit(0);
  }
  loader.join();
  return 0;
}

}  // namespace haloguard::server
