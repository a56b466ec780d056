// RedisQueue: the JobQueue of a `haloguard serve --queue redis://...` server. It only stores and
// reads jobs (Redis Streams + hashes, see redis_jobs.h); `haloguard worker` processes run them.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "monitor/queue.h"
#include "monitor/redis_client.h"
#include "monitor/redis_jobs.h"

namespace haloguard::monitor {

class RedisQueue : public JobQueue {
 public:
  // Validates options and checks that Redis answers (creating the consumer groups). Errors:
  // INVALID_ARGUMENT for bad options, UNAVAILABLE when Redis can't be reached.
  static StatusOr<std::unique_ptr<RedisQueue>> Connect(const RedisQueueOptions& options);

  // JobQueue; thread-safe (each call borrows a connection from a small pool).
  StatusOr<JobInfo> Submit(JobSpec spec) override;
  StatusOr<JobInfo> Get(const std::string& id) override;
  StatusOr<JobInfo> Cancel(const std::string& id) override;
  StatusOr<QueueStats> Stats() override;

 private:
  explicit RedisQueue(RedisQueueOptions options, RedisAddress address)
      : opts_(std::move(options)), address_(std::move(address)) {}
  std::unique_ptr<RedisClient> Borrow();
  void Return(std::unique_ptr<RedisClient> c);
  template <typename Fn>
  auto With(Fn fn);

  RedisQueueOptions opts_;
  RedisAddress address_;
  std::mutex mu_;
  std::vector<std::unique_ptr<RedisClient>> idle_;
};

}  // namespace haloguard::monitor
