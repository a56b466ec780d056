// RedisQueue: a pool of RedisClients (at most one per concurrent caller; idle ones are kept up to
// kMaxIdle) in front of RedisJobStore.
#include "monitor/redis_queue.h"

#include "core/log.h"

namespace haloguard::monitor {
namespace {
constexpr size_t kMaxIdle = 8;
}  // namespace

template <typename Fn>
auto RedisQueue::With(Fn fn) {
  std::unique_ptr<RedisClient> c = Borrow();
  RedisJobStore store(c.get(), &opts_);
  auto result = fn(store);
  Return(std::move(c));
  return result;
}

StatusOr<std::unique_ptr<RedisQueue>> RedisQueue::Connect(const RedisQueueOptions& options) {
  HG_RETURN_IF_ERROR(ValidateRedisQueueOptions(options));
  HG_ASSIGN_OR_RETURN(RedisAddress address, ParseRedisUrl(options.url));
  std::unique_ptr<RedisQueue> q(new RedisQueue(options, address));
  HG_RETURN_IF_ERROR(q->With([](RedisJobStore& s) { return s.EnsureGroups(); }));
  HG_LOG(INFO) << "monitor: queue on redis " << RedisAddressName(address) << " (prefix "
               << options.prefix << ")";
  return q;
}

std::unique_ptr<RedisClient> RedisQueue::Borrow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<RedisClient> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return std::make_unique<RedisClient>(address_,
                                       std::chrono::milliseconds(opts_.connect_timeout_ms),
                                       std::chrono::milliseconds(opts_.command_timeout_ms));
}

void RedisQueue::Return(std::unique_ptr<RedisClient> c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdle && c->connected()) idle_.push_back(std::move(c));
}

StatusOr<JobInfo> RedisQueue::Submit(JobSpec spec) {
  return With([&spec](RedisJobStore& s) { return s.Submit(spec); });
}

StatusOr<JobInfo> RedisQueue::Get(const std::string& id) {
  return With([&id](RedisJobStore& s) { return s.Get(id); });
}

StatusOr<JobInfo> RedisQueue::Cancel(const std::string& id) {
  return With([&id](RedisJobStore& s) { return s.Cancel(id); });
}

StatusOr<QueueStats> RedisQueue::Stats() {
  return With([](RedisJobStore& s) { return s.Stats(); });
}

}  // namespace haloguard::monitor
