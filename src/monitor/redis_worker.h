// RedisWorker: the job loops of a `haloguard worker` process. Each loop is one consumer of the
// group "workers": it reclaims entries idle longer than the visibility timeout (XAUTOCLAIM; a
// dead worker's jobs), else reads new ones (XREADGROUP, high before normal before low), runs
// the job through RunJob and writes the result back idempotently. A heartbeat thread keeps the
// entries this process holds from looking idle (XCLAIM JUSTID) however long a job runs.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/status.h"
#include "guard/result.h"
#include "monitor/redis_jobs.h"
#include "monitor/runner.h"

namespace haloguard::monitor {

struct RedisWorkerOptions {
  RedisQueueOptions queue;
  std::string name;                       // consumer name prefix ("" = HOSTNAME-PID-RANDOM)
  int concurrency = 1;                    // job loops (each its own consumer "NAME-i")
  int64_t visibility_timeout_ms = 60000;  // an entry idle this long is taken by another worker
  int64_t heartbeat_ms = 0;               // 0 = visibility_timeout_ms / 4
  int64_t block_ms = 1000;                // longest XREADGROUP wait (also the stop latency)
  int max_attempts = 5;                   // starts per job before it fails as "worker_lost"
  RunOptions run;
};

// Checks ranges (heartbeat shorter than the visibility timeout, ...); INVALID_ARGUMENT naming
// the flag.
Status ValidateRedisWorkerOptions(const RedisWorkerOptions& o);

class RedisWorker {
 public:
  // Validates, connects (creating the consumer groups) and starts the loops over `classifier`
  // (must outlive the worker). Errors: INVALID_ARGUMENT, UNAVAILABLE (Redis unreachable).
  static StatusOr<std::unique_ptr<RedisWorker>> Start(guard::Classifier* classifier,
                                                      RedisWorkerOptions options);
  ~RedisWorker();  // Stop(0)
  RedisWorker(const RedisWorker&) = delete;
  RedisWorker& operator=(const RedisWorker&) = delete;

  // Stops taking entries and waits up to `timeout` for running jobs to finish. Jobs still
  // running then are abandoned: they stop before their next window call and their entries are
  // made claimable at once (XCLAIM IDLE), so another worker restarts them without waiting for
  // the visibility timeout. Returns true when nothing was abandoned. Idempotent.
  bool Stop(std::chrono::milliseconds timeout);

  const std::string& name() const { return opts_.name; }
  int64_t jobs_finished() const { return finished_.load(); }  // results written (or found)

  struct Entry;  // one stream entry held by this process

 private:
  RedisWorker(guard::Classifier* classifier, RedisWorkerOptions options, RedisAddress address);
  std::unique_ptr<RedisClient> NewClient(int64_t extra_timeout_ms) const;
  void Loop(int index);
  void Process(RedisClient& client, RedisJobStore& store, const Entry& e);
  void RunAndFinish(RedisClient& client, RedisJobStore& store, const Entry& e,
                    std::string spec_json);
  void Hold(const Entry& e);
  void Release(const Entry& e);
  void Heartbeat();
  template <typename Fn>
  auto Retrying(Fn fn) -> decltype(fn());

  guard::Classifier* classifier_;
  RedisWorkerOptions opts_;
  RedisAddress address_;
  std::atomic<bool> stop_{false};     // take no new entries
  std::atomic<bool> abandon_{false};  // stop running jobs too
  std::atomic<int64_t> finished_{0};
  std::atomic<int> live_loops_{0};
  std::atomic<int64_t> abandoned_{0};
  std::mutex held_mu_;  // guards held_, heartbeat_stop_
  std::condition_variable heartbeat_cv_;
  bool heartbeat_stop_ = false;
  std::set<std::tuple<std::string, std::string, std::string>> held_;  // stream, entry, consumer
  std::vector<std::thread> loops_;
  std::thread heartbeat_;
  std::mutex stop_mu_;
  bool stopped_ = false;
  bool stop_result_ = true;
};

}  // namespace haloguard::monitor
