// hg_fake_serve (the real server with the FakeClassifier) as a child process, for the loopback
// suites: its port comes from the "LISTENING <port>" line, after which its stdout pipe is closed
// (so `--access-log -` writes into a pipe without a reader). Test-only.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace haloguard::server::testing {

class FakeServe {
 public:
  // `stderr_path`: where the child's stderr goes ("" = inherited).
  explicit FakeServe(std::vector<std::string> args, const std::string& stderr_path = "") {
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      if (!stderr_path.empty()) {
        FILE* err = std::fopen(stderr_path.c_str(), "w");
        if (err != nullptr) dup2(fileno(err), 2);
      }
      std::vector<char*> argv = {const_cast<char*>(HG_FAKE_SERVE)};
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(HG_FAKE_SERVE, argv.data());
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[128] = {0};
    if (fgets(line, sizeof(line), f) != nullptr) std::sscanf(line, "LISTENING %d", &port_);
    fclose(f);
  }
  ~FakeServe() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  FakeServe(const FakeServe&) = delete;
  FakeServe& operator=(const FakeServe&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void Signal(int sig) { kill(pid_, sig); }
  // Exit status (128 + signal for a signal death), or -1 if still running after `timeout_ms`.
  int Wait(int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 10) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool reaped_ = false;
};

}  // namespace haloguard::server::testing
