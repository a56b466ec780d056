// Termination signals for long-running commands (serve, worker): block SIGTERM/SIGINT so that one
// dedicated thread can sigwait() for them.
#pragma once

#include <signal.h>

namespace haloguard {

// Blocks SIGTERM and SIGINT in the calling thread and returns that set (pass it to sigwait).
// Call it before starting other threads: they inherit the mask, so only sigwait sees a signal.
inline sigset_t BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace haloguard
