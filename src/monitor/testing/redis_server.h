// RedisServer: a private redis-server for tests, on 127.0.0.1 and a free port, with its own temp
// directory (removed afterwards); optional append-only persistence with fsync on every write,
// so a crash (SIGKILL) and restart keeps every acknowledged write. Test-only.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "core/status.h"

namespace haloguard::monitor::testing {

class RedisServer {
 public:
  // Starts redis-server (from PATH) and waits until it answers PING. Errors: UNAVAILABLE when
  // the binary is missing (hint: scripts/setup.sh installs it) or it does not come up.
  static StatusOr<std::unique_ptr<RedisServer>> Start(bool persistence);
  ~RedisServer();  // SIGKILL, remove the directory

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool persistence() const { return persistence_; }

  // Kills the server (SIGKILL when `crash`, else SIGTERM and a clean shutdown), then starts it
  // again on the same port and directory.
  Status Restart(bool crash);
  // Stops the server without restarting it (SIGKILL).
  void Kill();

 private:
  RedisServer() = default;
  Status Launch();
  pid_t pid_ = -1;
  int port_ = 0;
  bool persistence_ = false;
  std::string dir_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

}  // namespace haloguard::monitor::testing
