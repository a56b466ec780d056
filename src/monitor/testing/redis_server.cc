// RedisServer: fork/exec of redis-server with a generated command line, readiness by PING
// through RedisClient.
#include "monitor/testing/redis_server.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "monitor/redis_client.h"

namespace haloguard::monitor::testing {

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(bool persistence) {
  std::unique_ptr<RedisServer> s(new RedisServer());
  s->persistence_ = persistence;
  std::string tmpl = (std::filesystem::temp_directory_path() / "hg-redis-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return UnavailableError("redis test server: mkdtemp failed");
  s->dir_ = tmpl;
  for (int attempt = 0; attempt < 3; ++attempt) {  // the free port may be taken meanwhile
    s->port_ = FreeLoopbackPort();
    if (s->Launch().ok()) return s;
    s->Kill();
  }
  return UnavailableError(
      "redis test server: redis-server did not answer PING on 127.0.0.1; "
      "expected it on PATH (hint: scripts/setup.sh installs redis-server); "
      "log in " +
      s->dir_ + "/redis.log");
}

Status RedisServer::Launch() {
  const std::string port = std::to_string(port_);
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   port,
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--save",
                                   "",
                                   "--daemonize",
                                   "no",
                                   "--logfile",
                                   dir_ + "/redis.log",
                                   "--appendonly",
                                   persistence_ ? "yes" : "no",
                                   "--appendfsync",
                                   "always"};
  pid_ = fork();
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("redis-server", argv.data());
    _exit(127);
  }
  RedisClient client({"127.0.0.1", port_, 0, ""}, std::chrono::milliseconds(200),
                     std::chrono::milliseconds(500));
  for (int i = 0; i < 250; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return UnavailableError("redis-server exited");
    }
    StatusOr<RedisReply> pong = client.Command({"PING"});
    if (pong.ok()) return OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return UnavailableError("redis-server did not answer");
}

Status RedisServer::Restart(bool crash) {
  if (pid_ > 0) {
    kill(pid_, crash ? SIGKILL : SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  return Launch();
}

void RedisServer::Kill() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

RedisServer::~RedisServer() {
  Kill();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace haloguard::monitor::testing
