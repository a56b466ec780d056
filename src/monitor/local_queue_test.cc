// Tests for LocalQueue: jobs run to the same result RunJob gives, progress is visible, priority
// order, cancel (queued and running), limits, TTL expiry, failures and Stop().
#include "monitor/local_queue.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <nlohmann/json.hpp>
#include <thread>

#include "monitor/job_json.h"
#include "server/testing/fake_classifier.h"

namespace haloguard::monitor {
namespace {

using nlohmann::json;
using server::testing::FakeClassifier;
using server::testing::FakeClassifierOptions;

// A FakeClassifier whose ScoreWindows blocks while the gate is closed, and which logs the first
// token id of every window it scores (to see which job ran when).
class GatedClassifier : public FakeClassifier {
 public:
  explicit GatedClassifier(double item_cost_ms = 0)
      : FakeClassifier(FakeClassifierOptions{0, item_cost_ms, 0.65}) {}
  std::vector<StatusOr<guard::WindowVerdict>> ScoreWindows(
      std::span<const std::vector<int32_t>> windows, bool background,
      const std::function<bool()>& should_stop) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++entered_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return open_; });
      for (const auto& w : windows) order_.push_back(w.empty() ? -1 : w[0]);
    }
    return FakeClassifier::ScoreWindows(windows, background, should_stop);
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  std::vector<int32_t> order() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int entered_ = 0;
  std::vector<int32_t> order_;
};

// A queue over `c` (one worker, one window per call) whose gate is closed: the first job's first
// window call blocks until c.Open().
std::unique_ptr<LocalQueue> BlockedQueue(GatedClassifier& c, LocalQueueOptions o = {}) {
  o.run.windows_per_call = 1;
  auto q = std::make_unique<LocalQueue>(&c, o);
  c.Close();
  return q;
}

JobSpec Document(std::string text, Priority p = Priority::kNormal) {
  JobSpec s;
  s.document = std::move(text);
  s.priority = p;
  return s;
}

std::string Words(int n, int marker = -1) {
  std::string t;
  for (int i = 0; i < n; ++i) {
    if (i == marker) {
      t.append("phishing ");
    } else {
      t.append("w").append(std::to_string(i)).append(" ");
    }
  }
  return t;
}

JobInfo WaitFinal(LocalQueue& q, const std::string& id) {
  for (int i = 0; i < 2000; ++i) {
    auto info = q.Get(id);
    EXPECT_TRUE(info.ok()) << info.status().message();
    if (!info.ok() || IsFinal(info->state)) return info.ok() ? *info : JobInfo{};
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ADD_FAILURE() << "job " << id << " did not finish";
  return {};
}

TEST(LocalQueue, RunsJobsToTheResultRunJobGives) {
  FakeClassifier c;
  LocalQueueOptions o;
  o.workers = 2;
  LocalQueue q(&c, o);
  const std::string text = Words(2000, 1500);
  auto job = q.Submit(Document(text));
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, JobState::kQueued);
  EXPECT_TRUE(IsJobId(job->id));
  const JobInfo done = WaitFinal(q, job->id);
  ASSERT_EQ(done.state, JobState::kDone) << done.error;
  auto direct = RunJob(c, MonitoredText{text, {}}, false, RunOptions{});
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(done.result_json, JobResultToJson(*direct));
  EXPECT_EQ(done.windows_done, direct->window_count);
  EXPECT_EQ(done.windows_total, direct->window_count);
  EXPECT_EQ(done.attempts, 1);
  EXPECT_GT(done.finished_ms, 0);
  auto stats = q.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->submitted_total, 1);
  EXPECT_EQ(stats->done_total, 1);
  EXPECT_EQ(stats->windows_total, direct->window_count);
}

TEST(LocalQueue, ShowsProgressAndTakesHigherPrioritiesFirst) {
  GatedClassifier c;
  const auto queue = BlockedQueue(c);
  LocalQueue& q = *queue;
  auto blocker = q.Submit(Document(Words(2000)));
  ASSERT_TRUE(blocker.ok());
  c.WaitEntered(1);  // the only worker is inside the first window of `blocker`
  auto running = q.Get(blocker->id);
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->state, JobState::kRunning);
  EXPECT_EQ(running->windows_done, 0);
  EXPECT_EQ(running->windows_total, 5);
  auto low = q.Submit(Document("lowjob", Priority::kLow));
  auto normal = q.Submit(Document("normaljob", Priority::kNormal));
  auto high = q.Submit(Document("highjob", Priority::kHigh));
  ASSERT_TRUE(low.ok() && normal.ok() && high.ok());
  EXPECT_EQ(q.Stats()->queued, 3);
  c.Open();
  for (const auto& id : {blocker->id, low->id, normal->id, high->id}) {
    EXPECT_EQ(WaitFinal(q, id).state, JobState::kDone);
  }
  const std::vector<int32_t> order = c.order();
  ASSERT_EQ(order.size(), 8u);  // 5 windows of the blocker, then one window per job
  EXPECT_EQ(order[5], server::testing::FakeTokenId("highjob"));
  EXPECT_EQ(order[6], server::testing::FakeTokenId("normaljob"));
  EXPECT_EQ(order[7], server::testing::FakeTokenId("lowjob"));
}

TEST(LocalQueue, CancelsQueuedAndRunningJobs) {
  GatedClassifier c;
  const auto queue = BlockedQueue(c);
  LocalQueue& q = *queue;
  auto running = q.Submit(Document(Words(3000)));
  auto queued = q.Submit(Document("waiting"));
  ASSERT_TRUE(running.ok() && queued.ok());
  c.WaitEntered(1);
  auto cq = q.Cancel(queued->id);
  ASSERT_TRUE(cq.ok());
  EXPECT_EQ(cq->state, JobState::kCancelled);
  auto cr = q.Cancel(running->id);
  ASSERT_TRUE(cr.ok());
  EXPECT_EQ(cr->state, JobState::kCancelled);
  EXPECT_EQ(q.Cancel(running->id)->state, JobState::kCancelled);  // idempotent
  c.Open();
  for (int i = 0; i < 500 && q.Stats()->running > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const JobInfo after = *q.Get(running->id);
  EXPECT_EQ(after.state, JobState::kCancelled);
  EXPECT_LE(after.windows_done, 1);  // stopped before its second window
  EXPECT_TRUE(after.result_json.empty());
  EXPECT_EQ(c.order().size(), 1u);  // the queued job never ran
  const QueueStats s = *q.Stats();
  EXPECT_EQ(s.cancelled_total, 2);
  EXPECT_EQ(s.queued, 0);
  EXPECT_EQ(s.running, 0);

  auto done = q.Submit(Document("finish me"));
  ASSERT_EQ(WaitFinal(q, done->id).state, JobState::kDone);
  EXPECT_EQ(q.Cancel(done->id).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(q.Cancel(NewJobId()).status().code(), StatusCode::kNotFound);
}

TEST(LocalQueue, RefusesWorkBeyondItsLimits) {
  GatedClassifier c;
  LocalQueueOptions o;
  o.max_queued_jobs = 2;
  o.max_pending_bytes = 100;
  LocalQueue q(&c, o);
  c.Close();
  ASSERT_TRUE(q.Submit(Document("running")).ok());
  c.WaitEntered(1);
  ASSERT_TRUE(q.Submit(Document("a")).ok());
  ASSERT_TRUE(q.Submit(Document("b")).ok());
  auto full = q.Submit(Document("c"));
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.status().message().find("--monitor-queue-size"), std::string::npos);
  c.Open();
  LocalQueue q2(&c, o);
  auto big = q2.Submit(Document(std::string(101, 'x')));
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(big.status().message().find("--monitor-queue-bytes"), std::string::npos);
}

TEST(LocalQueue, ForgetsFinishedJobsAfterTheTtl) {
  FakeClassifier c;
  LocalQueueOptions o;
  o.result_ttl_ms = 50;
  LocalQueue q(&c, o);
  auto job = q.Submit(Document("short lived"));
  ASSERT_EQ(WaitFinal(q, job->id).state, JobState::kDone);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_EQ(q.Get(job->id).status().code(), StatusCode::kNotFound);
}

TEST(LocalQueue, KeepsAtMostMaxFinishedJobs) {
  FakeClassifier c;
  LocalQueueOptions o;
  o.max_finished_jobs = 2;
  LocalQueue q(&c, o);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(q.Submit(Document("job " + std::to_string(i)))->id);
    WaitFinal(q, ids.back());
  }
  EXPECT_EQ(q.Get(ids[0]).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(q.Get(ids[2]).ok());
}

TEST(LocalQueue, RecordsWhyAJobFailed) {
  FakeClassifier c;
  LocalQueue q(&c, LocalQueueOptions{});
  auto bad = q.Submit(Document("valid json but \xFF not UTF-8"));
  const JobInfo f = WaitFinal(q, bad->id);
  EXPECT_EQ(f.state, JobState::kFailed);
  EXPECT_EQ(f.error_code, "invalid_input");
  EXPECT_NE(f.error.find("UTF-8"), std::string::npos) << f.error;
  EXPECT_EQ(json::parse(JobInfoToJson(f))["error"]["code"], "invalid_input");
}

TEST(LocalQueue, StopCancelsTheRunningJobAndRefusesNewOnes) {
  GatedClassifier c;
  const auto queue = BlockedQueue(c);
  LocalQueue& q = *queue;
  auto job = q.Submit(Document(Words(3000)));
  c.WaitEntered(1);
  std::thread stopper([&] { q.Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  c.Open();
  stopper.join();
  EXPECT_EQ(q.Get(job->id)->state, JobState::kCancelled);
  EXPECT_EQ(q.Submit(Document("late")).status().code(), StatusCode::kUnavailable);
}

TEST(LocalQueue, ValidatesOptions) {
  LocalQueueOptions o;
  o.workers = 0;
  EXPECT_NE(ValidateLocalQueueOptions(o).message().find("--monitor-workers: expected >= 1, got 0"),
            std::string::npos);
  o = LocalQueueOptions{};
  o.run.windows_per_call = 0;
  EXPECT_FALSE(ValidateLocalQueueOptions(o).ok());
}

TEST(LocalQueue, ListsKnownJobsNewestFirstUpToTheLimit) {
  GatedClassifier c;
  const auto queue = BlockedQueue(c);
  LocalQueue& q = *queue;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto job = q.Submit(Document(Words(50 + i)));
    ASSERT_TRUE(job.ok());
    ids.push_back(job->id);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // distinct created_ms
  }
  c.WaitEntered(1);  // the first job is running, the other two wait
  auto two = q.List(2);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].id, ids[2]);
  EXPECT_EQ((*two)[1].id, ids[1]);
  EXPECT_EQ((*two)[0].state, JobState::kQueued);
  c.Open();
  for (const auto& id : ids) EXPECT_EQ(WaitFinal(q, id).state, JobState::kDone);
  auto all = q.List(10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].id, ids[0]);
  EXPECT_FALSE((*all)[2].result_json.empty());
}

}  // namespace
}  // namespace haloguard::monitor
