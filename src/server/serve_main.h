// ServeUntilSignal: the life of a `haloguard serve` process, shared by the real command and the
// fake-model test server: listen, load the classifier in the background, serve, reload files on
// SIGHUP, and on SIGTERM/SIGINT drain gracefully and return 0.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "core/status.h"
#include "guard/result.h"
#include "server/server.h"

namespace haloguard::server {

using guard::ClassifierLoader;

struct ServeRun {
  ServerOptions server;
  std::chrono::milliseconds drain_timeout{30000};
  std::function<void(int port)> on_listening;  // optional; called once the socket listens
};

// Blocks SIGTERM/SIGINT/SIGHUP in the calling thread (so call it before starting any other
// thread: every server thread inherits the mask and a dedicated thread sigwait()s) and ignores
// SIGPIPE process-wide. SIGHUP calls GuardServer::Reload and serving goes on. Returns the exit
// code: 0 after a signal and a drain, 1 if the server can't start or the model fails to load,
// 2 for invalid options. A signal during loading drains and exits 0 without waiting for the
// loader (the process _exit()s).
int ServeUntilSignal(const ServeRun& run, const ClassifierLoader& load);

}  // namespace haloguard::server
