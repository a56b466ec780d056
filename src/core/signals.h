// Signals for long-running commands (serve, worker): block SIGTERM/SIGINT (and SIGHUP for
// commands that reload on it) so that one dedicated thread can sigwait() for them, and ignore
// SIGPIPE so a closed pipe or socket is an EPIPE error, never a silent exit 141.
#pragma once

#include <signal.h>

namespace haloguard {

// Blocks SIGTERM and SIGINT (plus SIGHUP when `with_reload`) in the calling thread and returns
// that set (pass it to sigwait). Call it before starting other threads: they inherit the mask,
// so only sigwait sees a signal.
inline sigset_t BlockTerminationSignals(bool with_reload = false) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (with_reload) sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Process-wide: writes to a closed pipe or socket fail with EPIPE instead of killing the process
// (`serve --access-log -` piped into a reader that exits). Idempotent.
inline void IgnoreSigpipe() { signal(SIGPIPE, SIG_IGN); }

}  // namespace haloguard
