// Helpers shared by the monitor's cross-module tests: documents with known verdicts, the
// in-process oracle for a job's result, a fake worker child process, and polling.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "monitor/job_json.h"
#include "monitor/runner.h"
#include "server/testing/fake_classifier.h"

namespace haloguard::monitor::testing {

// n ASCII words "w0 w1 ..." with "phishing" at `marker` (< 0: none). One fake token per word.
inline std::string Words(int n, int marker = -1) {
  std::string t;
  for (int i = 0; i < n; ++i) {
    if (i > 0) t.push_back(' ');
    if (i == marker) {
      t.append("phishing");
    } else {
      t.append("w").append(std::to_string(i));
    }
  }
  return t;
}

inline JobSpec DocumentSpec(std::string text, bool stop_on_unsafe = false,
                            Priority p = Priority::kNormal) {
  JobSpec s;
  s.document = std::move(text);
  s.stop_on_unsafe = stop_on_unsafe;
  s.priority = p;
  return s;
}

// What a correct worker must store for `spec`: RunJob on the same (deterministic) fake, in
// this process. RunJob itself is checked against brute force in runner_test.
inline std::string ExpectedResultJson(const JobSpec& spec) {
  server::testing::FakeClassifier fake;
  JobSpec copy = spec;
  const bool stop = copy.stop_on_unsafe;
  StatusOr<JobResult> r = RunJob(fake, BuildMonitoredText(std::move(copy)), stop, RunOptions{});
  return r.ok() ? JobResultToJson(*r) : "error: " + r.status().message();
}

// Polls `done` every 10 ms until it is true or `timeout_ms` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& done, int timeout_ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// hg_fake_worker as a child process; the constructor returns once it printed "READY <name>".
class WorkerProcess {
 public:
  WorkerProcess(const std::string& binary, std::vector<std::string> args) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[256] = {0};
    if (fgets(line, sizeof(line), f) != nullptr && std::string(line).rfind("READY ", 0) == 0) {
      name_ = std::string(line + 6);
      while (!name_.empty() && name_.back() == '\n') name_.pop_back();
    }
    fclose(f);
  }
  ~WorkerProcess() { Kill(); }
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  bool ready() const { return !name_.empty(); }
  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }
  void Kill() {  // kill -9
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // SIGTERM; the exit code, or -1 if it is still running after timeout_ms (then killed).
  int Terminate(int timeout_ms) {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    const bool exited =
        WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout_ms);
    if (!exited) {
      Kill();
      return -1;
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  std::string name_;
};

}  // namespace haloguard::monitor::testing
