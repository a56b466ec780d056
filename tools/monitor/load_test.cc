// hg_monitor_loadtest: a bounded loopback load test of the monitor lane with fake classifiers.
//   1. scale-out: K hg_fake_worker processes on a private redis-server drain N jobs of 10 windows
//      each; a window costs --window-ms of sleep in its worker (each worker has its own compute,
//      as on separate machines). Reports jobs/s and windows/s per K.
//   2. priority: an in-process server over a ContendedClassifier (ONE shared device; a monitor
//      window costs 60 ms, run as 5 ms chunks that yield to waiting /v1/classify batches).
//      /v1/classify latency from 2 closed-loop clients with the monitor lane idle, saturated, and
//      saturated without preemption (the negative control).
// Prints a JSON report. With --check (what CTest runs: small counts, about 10 s) exits 1 unless
// 2 workers give >= 1.6x the throughput of 1 (ideal 2x), the saturated p99 stays within
// idle p99 + one chunk + 15 ms of scheduling slack, the lane really was saturated, and the
// control breaks that bound (so the check can fail).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "monitor/redis_queue.h"
#include "monitor/testing/contended_classifier.h"
#include "monitor/testing/redis_server.h"
#include "server/server.h"
#include "server/testing/http_client.h"
#include "server/testing/prom_check.h"

namespace {

using haloguard::Clock;
using haloguard::SecondsSince;
using haloguard::monitor::JobSpec;
using haloguard::monitor::QueueStats;
using haloguard::monitor::RedisQueue;
using haloguard::monitor::testing::ContendedClassifier;
using haloguard::monitor::testing::ContendedOptions;
using haloguard::monitor::testing::RedisServer;
using haloguard::server::GuardServer;
using haloguard::server::ServerOptions;
using haloguard::server::testing::HttpRequestOnce;
using haloguard::server::testing::PrometheusSamples;
using nlohmann::json;

constexpr double kChunkMs = 5, kSlackMs = 15;

std::string Words(int n) {
  std::string t;
  for (int i = 0; i < n; ++i) t.append("w").append(std::to_string(i)).append(" ");
  return t;
}

// A child process running hg_fake_worker; ready once it printed its READY line.
struct Child {
  pid_t pid = -1;
};

Child SpawnWorker(const std::string& url, int index, double window_ms) {
  int out[2];
  if (pipe(out) != 0) return {};
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    const std::string name = "load" + std::to_string(index), cost = std::to_string(window_ms);
    execl(HG_FAKE_WORKER, HG_FAKE_WORKER, "--queue", url.c_str(), "--name", name.c_str(),
          "--block-ms", "50", "--windows-per-call", "1", "--item-cost-ms", cost.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  char line[128];
  FILE* f = fdopen(out[0], "r");
  if (fgets(line, sizeof(line), f) == nullptr) c.pid = -1;
  fclose(f);
  return c;
}

// Part 1: time for `workers` processes to finish `jobs` jobs of 10 windows.
json ScaleOut(int workers, int jobs, double window_ms) {
  auto redis = RedisServer::Start(false);
  if (!redis.ok()) return {{"error", redis.status().message()}};
  haloguard::monitor::RedisQueueOptions o;
  o.url = (*redis)->url();
  auto queue = RedisQueue::Connect(o);
  if (!queue.ok()) return {{"error", queue.status().message()}};
  std::vector<Child> children;
  for (int i = 0; i < workers; ++i) children.push_back(SpawnWorker(o.url, i, window_ms));
  const std::string doc = Words(1200 + 9 * 256);  // exactly 10 windows
  const Clock::time_point t0 = Clock::now();
  for (int j = 0; j < jobs; ++j) {
    JobSpec s;
    s.document = doc;
    (void)(*queue)->Submit(std::move(s));
  }
  QueueStats st;
  while (SecondsSince(t0) < 60) {
    auto s = (*queue)->Stats();
    if (s.ok()) st = *s;
    if (st.done_total >= jobs) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double seconds = SecondsSince(t0);
  for (Child& c : children) {
    if (c.pid <= 0) continue;
    kill(c.pid, SIGKILL);
    waitpid(c.pid, nullptr, 0);
  }
  return {{"workers", workers},
          {"jobs_done", st.done_total},
          {"seconds", seconds},
          {"jobs_per_s", st.done_total / seconds},
          {"windows_per_s", static_cast<double>(st.windows_total) / seconds}};
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// 2 closed-loop /v1/classify clients, `per_client` requests each; latency stats in ms.
json ClassifyLatency(int port, int per_client) {
  std::mutex mu;
  std::vector<double> ms;
  int errors = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < per_client; ++i) {
        const std::string body =
            json({{"query", "client " + std::to_string(c) + " #" + std::to_string(i)}}).dump();
        const Clock::time_point start = Clock::now();
        auto r = HttpRequestOnce(port, "POST", "/v1/classify", body);
        const double took = SecondsSince(start) * 1000;
        std::lock_guard<std::mutex> lock(mu);
        if (r.ok() && r->status == 200) {
          ms.push_back(took);
        } else {
          ++errors;
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  return {{"requests", ms.size()},
          {"errors", errors},
          {"p50_ms", Percentile(ms, 0.5)},
          {"p99_ms", Percentile(ms, 0.99)},
          {"max_ms", Percentile(ms, 1.0)}};
}

std::map<std::string, double> Metrics(int port) {
  auto r = HttpRequestOnce(port, "GET", "/metrics");
  return r.ok() ? PrometheusSamples(r->body) : std::map<std::string, double>{};
}

// Part 2, one phase: a fresh server; `monitor_jobs` jobs keep the lane saturated (0 = idle).
json PriorityPhase(bool preempt, int monitor_jobs, int per_client) {
  ServerOptions o;
  o.http.port = 0;
  o.scheduler.max_batch = 8;
  o.scheduler.batch_timeout_ms = 1;
  o.monitor.local.workers = 2;
  auto server = GuardServer::Start(o);
  if (!server.ok()) return {{"error", server.status().message()}};
  ContendedOptions c;
  c.window_cost_ms = 60;
  c.chunk_ms = kChunkMs;
  c.preempt = preempt;
  (*server)->SetClassifier(std::make_unique<ContendedClassifier>(c));
  const int port = (*server)->port();
  const std::string job = json({{"document", Words(1200 + 11 * 256)}}).dump();  // 12 windows
  for (int j = 0; j < monitor_jobs; ++j) {
    (void)HttpRequestOnce(port, "POST", "/v1/monitor/jobs", job);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(monitor_jobs > 0 ? 100 : 0));
  const double windows_before = Metrics(port)["haloguard_monitor_windows_total"];
  const Clock::time_point t0 = Clock::now();
  json r = ClassifyLatency(port, per_client);
  const double seconds = SecondsSince(t0);
  auto m = Metrics(port);
  r["monitor_running_after"] = m["haloguard_monitor_jobs{state=\"running\"}"];
  r["monitor_queued_after"] = m["haloguard_monitor_queue_depth"];
  r["monitor_windows_per_s"] = (m["haloguard_monitor_windows_total"] - windows_before) / seconds;
  (*server)->Drain(std::chrono::milliseconds(1000));
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const bool check = argc > 1 && std::strcmp(argv[1], "--check") == 0;
  const int jobs = check ? 24 : 48, per_client = check ? 100 : 250;
  const double window_ms = 5;
  json report;
  report["scale_out"] = json::array();
  for (int k : check ? std::vector<int>{1, 2} : std::vector<int>{1, 2, 4}) {
    report["scale_out"].push_back(ScaleOut(k, jobs, window_ms));
  }
  report["priority"]["idle"] = PriorityPhase(true, 0, per_client);
  report["priority"]["saturated"] = PriorityPhase(true, 20, per_client);
  report["priority"]["saturated_no_preemption"] = PriorityPhase(false, 20, per_client / 2);
  const double idle = report["priority"]["idle"].value("p99_ms", 0.0);
  const double bound = idle + kChunkMs + kSlackMs;
  report["priority"]["bound_ms"] = bound;
  std::printf("%s\n", report.dump(2).c_str());
  if (!check) return 0;
  bool ok = true;
  auto fail = [&ok](const char* what) {
    std::fprintf(stderr, "monitor load test: FAILED: %s\n", what);
    ok = false;
  };
  const json& s = report["scale_out"];
  if (s[0].value("jobs_done", 0) != jobs || s[1].value("jobs_done", 0) != jobs)
    fail("not every job finished");
  if (s[1].value("jobs_per_s", 0.0) < 1.6 * s[0].value("jobs_per_s", 1e9))
    fail("2 workers did not reach 1.6x the throughput of 1");
  const json& sat = report["priority"]["saturated"];
  const json& ctl = report["priority"]["saturated_no_preemption"];
  if (sat.value("errors", 1) != 0 || report["priority"]["idle"].value("errors", 1) != 0)
    fail("classify requests failed");
  if (sat.value("monitor_running_after", 0.0) < 2 || sat.value("monitor_queued_after", 0.0) < 1)
    fail("the monitor lane was not saturated for the whole phase");
  if (sat.value("p99_ms", 1e9) > bound) fail("saturated p99 exceeds idle p99 + chunk + slack");
  if (ctl.value("p99_ms", 0.0) <= bound) fail("the no-preemption control stayed within the bound");
  return ok ? 0 : 1;
}
