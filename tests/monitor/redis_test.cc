// The Redis Streams lane against a real redis-server on loopback (started per test, own temp
// dir): many jobs over two worker processes, kill -9 of a worker mid-job, a Redis crash with
// persistence, bad payloads, cancellation, graceful hand-back, idempotent completion, TTLs and
// priorities. Every result is compared with the in-process oracle (ExpectedResultJson).
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "monitor/redis_queue.h"
#include "monitor/redis_worker.h"
#include "monitor/testing/redis_server.h"
#include "monitor_test_util.h"

namespace haloguard::monitor {
namespace {

using nlohmann::json;
using testing::DocumentSpec;
using testing::ExpectedResultJson;
using testing::RedisServer;
using testing::WaitFor;
using testing::Words;
using testing::WorkerProcess;

class RedisMonitorTest : public ::testing::Test {
 protected:
  void StartRedis(bool persistence) {
    auto s = RedisServer::Start(persistence);
    ASSERT_TRUE(s.ok()) << s.status().message();
    redis_ = std::move(*s);
    options_.url = redis_->url();
    auto q = RedisQueue::Connect(options_);
    ASSERT_TRUE(q.ok()) << q.status().message();
    queue_ = std::move(*q);
  }
  void SetUp() override { StartRedis(false); }

  RedisWorkerOptions WorkerOptions(const std::string& name) const {
    RedisWorkerOptions o;
    o.queue = options_;
    o.name = name;
    o.visibility_timeout_ms = 800;
    o.heartbeat_ms = 150;
    o.block_ms = 100;
    o.run.windows_per_call = 1;
    return o;
  }
  std::unique_ptr<WorkerProcess> SpawnWorker(const std::string& name, double item_cost_ms) {
    auto w = std::make_unique<WorkerProcess>(
        HG_FAKE_WORKER,
        std::vector<std::string>{"--queue", redis_->url(), "--name", name,
                                 "--visibility-timeout-ms", "800", "--heartbeat-ms", "150",
                                 "--block-ms", "100", "--windows-per-call", "1", "--item-cost-ms",
                                 std::to_string(item_cost_ms)});
    EXPECT_TRUE(w->ready()) << "fake worker " << name << " did not start";
    return w;
  }
  // A direct connection for inspecting and damaging Redis state.
  RedisClient Direct() const {
    return RedisClient({"127.0.0.1", redis_->port(), 0, ""}, std::chrono::milliseconds(500),
                       std::chrono::milliseconds(2000));
  }
  std::string Field(const std::string& id, const std::string& field) {
    RedisClient c = Direct();
    auto r = c.Command({"HGET", RedisJobKey(options_.prefix, id), field});
    return r.ok() ? r->str : "";
  }
  JobInfo Final(const std::string& id, int timeout_ms) {
    JobInfo last;
    WaitFor(
        [&] {
          auto info = queue_->Get(id);
          if (info.ok()) last = *info;
          return info.ok() && IsFinal(info->state);
        },
        timeout_ms);
    return last;
  }

  RedisQueueOptions options_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RedisQueue> queue_;
};

TEST_F(RedisMonitorTest, QueueStoresJobsWithoutWorkers) {
  auto a = queue_->Submit(DocumentSpec("first", false, Priority::kHigh));
  auto b = queue_->Submit(DocumentSpec("second"));
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().message();
  auto got = queue_->Get(a->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, JobState::kQueued);
  EXPECT_EQ(got->priority, Priority::kHigh);
  EXPECT_GT(got->created_ms, 0);
  auto stats = queue_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->queued, 2);
  EXPECT_EQ(stats->running, 0);
  EXPECT_EQ(stats->submitted_total, 2);
  EXPECT_EQ(queue_->Cancel(b->id)->state, JobState::kCancelled);
  EXPECT_EQ(queue_->Cancel(b->id)->state, JobState::kCancelled);  // idempotent
  EXPECT_EQ(queue_->Stats()->cancelled_total, 1);
  EXPECT_EQ(queue_->Get(NewJobId()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(queue_->Cancel(NewJobId()).status().code(), StatusCode::kNotFound);
}

TEST_F(RedisMonitorTest, RefusesJobsBeyondTheBacklogLimit) {
  RedisQueueOptions o = options_;
  o.max_queued_jobs = 2;
  auto q = RedisQueue::Connect(o);
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE((*q)->Submit(DocumentSpec("a")).ok());
  ASSERT_TRUE((*q)->Submit(DocumentSpec("b")).ok());
  auto full = (*q)->Submit(DocumentSpec("c"));
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(full.status().message().find("--monitor-queue-size"), std::string::npos);
}

TEST_F(RedisMonitorTest, ManyJobsAcrossTwoWorkerProcessesMatchTheInProcessResult) {
  std::vector<JobSpec> specs;
  for (int i = 0; i < 16; ++i) {
    JobSpec s = DocumentSpec(Words(1300 + 97 * i, i % 3 == 0 ? 100 * i : -1), i % 4 == 0,
                             Priority(i % kNumPriorities));
    if (i % 5 == 1) {
      s.is_messages = true;
      s.messages = {{"user", Words(300)}, {"assistant", ""}, {"user", s.document}};
      s.document.clear();
    }
    specs.push_back(std::move(s));
  }
  std::vector<std::string> ids;
  for (const JobSpec& s : specs) ids.push_back(queue_->Submit(s)->id);
  auto a = SpawnWorker("A", 1), b = SpawnWorker("B", 1);
  std::map<std::string, int> by_worker;
  for (size_t i = 0; i < ids.size(); ++i) {
    const JobInfo info = Final(ids[i], 20000);
    ASSERT_EQ(info.state, JobState::kDone) << i << ": " << info.error;
    EXPECT_EQ(info.result_json, ExpectedResultJson(specs[i])) << i;
    const json r = json::parse(info.result_json);
    EXPECT_EQ(r["safety_label"] == "Unsafe", i % 3 == 0) << i;
    EXPECT_EQ(info.windows_done, r["windows_scored"].get<int64_t>());
    ++by_worker[Field(ids[i], "worker").substr(0, 1)];
  }
  EXPECT_GT(by_worker["A"], 0);  // both processes took part
  EXPECT_GT(by_worker["B"], 0);
  const QueueStats s = *queue_->Stats();
  EXPECT_EQ(s.done_total, 16);
  EXPECT_EQ(s.queued + s.running, 0);
}

TEST_F(RedisMonitorTest, JobsOfAWorkerKilledMidJobAreReclaimedAndCompleteExactly) {
  std::vector<JobSpec> specs;
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    specs.push_back(DocumentSpec(Words(3000, i % 2 == 0 ? 2500 : -1)));  // 9 windows each
    ids.push_back(queue_->Submit(specs.back())->id);
  }
  auto a = SpawnWorker("A", 25), b = SpawnWorker("B", 25);
  // Wait until A is inside a job (some windows scored), then kill -9 it.
  std::string victim;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const std::string& id : ids) {
          if (Field(id, "state") == "running" && Field(id, "worker").rfind("A-", 0) == 0 &&
              std::stoll("0" + Field(id, "windows_done")) >= 2) {
            victim = id;
            return true;
          }
        }
        return false;
      },
      10000));
  a->Kill();
  for (size_t i = 0; i < ids.size(); ++i) {
    const JobInfo info = Final(ids[i], 30000);
    ASSERT_EQ(info.state, JobState::kDone) << i << ": " << info.error;
    EXPECT_EQ(info.result_json, ExpectedResultJson(specs[i])) << i;
  }
  const JobInfo v = *queue_->Get(victim);
  EXPECT_GE(v.attempts, 2);  // started by A, finished by B
  EXPECT_EQ(Field(victim, "worker").rfind("B-", 0), 0u);
  const QueueStats s = *queue_->Stats();
  EXPECT_EQ(s.done_total, 8);  // one completion per job, although the victim ran twice
  EXPECT_EQ(s.queued + s.running, 0);
}

TEST_F(RedisMonitorTest, SurvivesARedisCrashWithPersistence) {
  redis_.reset();
  StartRedis(/*persistence=*/true);
  std::vector<JobSpec> specs;
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    specs.push_back(DocumentSpec(Words(1500, i == 3 ? 1400 : -1)));
    ids.push_back(queue_->Submit(specs.back())->id);
  }
  auto w = SpawnWorker("A", 20);
  ASSERT_TRUE(WaitFor(
      [&] { return queue_->Get(ids[0]).ok() && IsFinal(queue_->Get(ids[0])->state); }, 10000));
  ASSERT_TRUE(redis_->Restart(/*crash=*/true).ok());  // SIGKILL; appendfsync always
  for (size_t i = 0; i < ids.size(); ++i) {
    const JobInfo info = Final(ids[i], 30000);
    ASSERT_EQ(info.state, JobState::kDone) << i << ": " << info.error;
    EXPECT_EQ(info.result_json, ExpectedResultJson(specs[i])) << i;
  }
  EXPECT_EQ(queue_->Stats()->submitted_total, 6);  // counters persisted too
  EXPECT_EQ(w->Terminate(5000), 0);                // and the worker still drains cleanly
}

TEST_F(RedisMonitorTest, BadPayloadsAreRejectedWithClearErrors) {
  RedisClient c = Direct();
  const std::string stream = RedisStreamKey(options_.prefix, Priority::kNormal);
  // An entry without a job id, one naming no job, and a job whose stored request is damaged.
  ASSERT_TRUE(c.Command({"XADD", stream, "*", "junk", "1"}).ok());
  ASSERT_TRUE(c.Command({"XADD", stream, "*", "job", NewJobId()}).ok());
  const std::string bad = NewJobId();
  ASSERT_TRUE(c.Command({"HSET", RedisJobKey(options_.prefix, bad), "state", "queued", "priority",
                         "normal", "spec", "{\"document\": 42}"})
                  .ok());
  ASSERT_TRUE(c.Command({"XADD", stream, "*", "job", bad}).ok());
  const JobSpec good = DocumentSpec("fine afterwards");
  const std::string good_id = queue_->Submit(good)->id;
  server::testing::FakeClassifier fake;
  auto worker = RedisWorker::Start(&fake, WorkerOptions("W"));
  ASSERT_TRUE(worker.ok()) << worker.status().message();
  const JobInfo failed = Final(bad, 5000);
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.error_code, "invalid_payload");
  EXPECT_NE(failed.error.find("document: expected a string, got number"), std::string::npos)
      << failed.error;
  EXPECT_EQ(Final(good_id, 5000).result_json, ExpectedResultJson(good));
  ASSERT_TRUE(WaitFor(
      [&] {
        return c.Command({"XLEN", stream})->integer == 0;
      },
      5000))
      << "every entry acknowledged and deleted";
  EXPECT_TRUE((*worker)->Stop(std::chrono::milliseconds(1000)));
}

TEST_F(RedisMonitorTest, CancelStopsARunningJob) {
  server::testing::FakeClassifier fake({0, 20, 0.65});
  auto worker = RedisWorker::Start(&fake, WorkerOptions("W"));
  ASSERT_TRUE(worker.ok());
  const std::string id = queue_->Submit(DocumentSpec(Words(5000)))->id;  // 17 windows, ~340 ms
  ASSERT_TRUE(WaitFor([&] { return queue_->Get(id)->windows_done >= 2; }, 5000));
  EXPECT_EQ(queue_->Cancel(id)->state, JobState::kCancelled);
  ASSERT_TRUE(WaitFor([&] { return (*worker)->jobs_finished() == 1; }, 5000));
  const JobInfo info = *queue_->Get(id);
  EXPECT_EQ(info.state, JobState::kCancelled);
  EXPECT_LT(info.windows_done, 17);
  EXPECT_TRUE(info.result_json.empty());
  EXPECT_EQ(queue_->Stats()->queued + queue_->Stats()->running, 0);
}

TEST_F(RedisMonitorTest, AStoppingWorkerHandsItsJobBackAtOnce) {
  RedisWorkerOptions slow = WorkerOptions("A");
  slow.visibility_timeout_ms = 60000;  // far longer than the test: hand-back must not wait
  slow.heartbeat_ms = 1000;
  server::testing::FakeClassifier fake_a({0, 20, 0.65}), fake_b;
  auto a = RedisWorker::Start(&fake_a, slow);
  ASSERT_TRUE(a.ok());
  const JobSpec spec = DocumentSpec(Words(5000, 4000));
  const std::string id = queue_->Submit(spec)->id;
  ASSERT_TRUE(WaitFor([&] { return queue_->Get(id)->windows_done >= 1; }, 5000));
  EXPECT_FALSE((*a)->Stop(std::chrono::milliseconds(0)));  // abandoned
  RedisWorkerOptions ob = slow;
  ob.name = "B";
  auto b = RedisWorker::Start(&fake_b, ob);
  ASSERT_TRUE(b.ok());
  const JobInfo info = Final(id, 5000);
  ASSERT_EQ(info.state, JobState::kDone);
  EXPECT_EQ(info.result_json, ExpectedResultJson(spec));
  EXPECT_EQ(info.attempts, 2);
}

TEST_F(RedisMonitorTest, CompletionIsIdempotentAndAttemptsAreBounded) {
  RedisClient c = Direct();
  RedisJobStore store(&c, &options_);
  const std::string id = queue_->Submit(DocumentSpec("x"))->id;
  ASSERT_EQ(store.StartJob(id, "w1", 3)->kind, RedisStart::Kind::kRun);
  ASSERT_EQ(store.StartJob(id, "w2", 3)->kind, RedisStart::Kind::kRun);  // w1 presumed dead
  EXPECT_EQ(*store.Finish(id, JobState::kDone, "{\"first\":1}", ""), "done");
  EXPECT_EQ(*store.Finish(id, JobState::kDone, "{\"second\":2}", ""), "done");
  EXPECT_EQ(*store.Finish(id, JobState::kFailed, "late failure", "internal_error"), "done");
  EXPECT_EQ(queue_->Get(id)->result_json, "{\"first\":1}");
  EXPECT_EQ(queue_->Stats()->done_total, 1);
  EXPECT_EQ(Field(id, "spec"), "");  // the input is dropped once the job ends

  const std::string cancelled = queue_->Submit(DocumentSpec("y"))->id;
  ASSERT_EQ(store.StartJob(cancelled, "w1", 3)->kind, RedisStart::Kind::kRun);
  ASSERT_TRUE(queue_->Cancel(cancelled).ok());
  EXPECT_EQ(*store.Finish(cancelled, JobState::kDone, "{}", ""), "cancelled");
  EXPECT_EQ(*store.Progress(cancelled, 1, 2, 1), "cancelled");
  EXPECT_EQ(queue_->Cancel(id).status().code(), StatusCode::kFailedPrecondition);

  const std::string doomed = queue_->Submit(DocumentSpec("z"))->id;
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(store.StartJob(doomed, "w", 2)->kind, RedisStart::Kind::kRun);
  auto third = store.StartJob(doomed, "w", 2);
  EXPECT_EQ(third->kind, RedisStart::Kind::kFinal);
  const JobInfo lost = *queue_->Get(doomed);
  EXPECT_EQ(lost.state, JobState::kFailed);
  EXPECT_EQ(lost.error_code, "worker_lost");
  EXPECT_NE(lost.error.find("within 2 attempts"), std::string::npos) << lost.error;
}

TEST_F(RedisMonitorTest, FinishedJobsExpireAfterTheResultTtl) {
  options_.result_ttl_ms = 300;
  auto q = RedisQueue::Connect(options_);
  ASSERT_TRUE(q.ok());
  queue_ = std::move(*q);
  server::testing::FakeClassifier fake;
  auto worker = RedisWorker::Start(&fake, WorkerOptions("W"));
  const std::string id = queue_->Submit(DocumentSpec("short lived"))->id;
  ASSERT_EQ(Final(id, 5000).state, JobState::kDone);
  EXPECT_TRUE(WaitFor([&] { return !queue_->Get(id).ok(); }, 3000));
  EXPECT_EQ(queue_->Get(id).status().code(), StatusCode::kNotFound);
}

TEST_F(RedisMonitorTest, HigherPrioritiesRunFirst) {
  const std::string low = queue_->Submit(DocumentSpec("l", false, Priority::kLow))->id;
  const std::string normal = queue_->Submit(DocumentSpec("n", false, Priority::kNormal))->id;
  const std::string high = queue_->Submit(DocumentSpec("h", false, Priority::kHigh))->id;
  server::testing::FakeClassifier fake({0, 30, 0.65});
  auto worker = RedisWorker::Start(&fake, WorkerOptions("W"));
  ASSERT_TRUE(worker.ok());
  const int64_t th = Final(high, 5000).started_ms, tn = Final(normal, 5000).started_ms,
                tl = Final(low, 5000).started_ms;
  EXPECT_LT(th, tn);
  EXPECT_LT(tn, tl);
}

TEST_F(RedisMonitorTest, UnreachableRedisIsUnavailable) {
  RedisQueueOptions o = options_;
  o.url = "redis://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  o.connect_timeout_ms = 200;
  auto q = RedisQueue::Connect(o);
  EXPECT_EQ(q.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(q.status().message().find("cannot connect"), std::string::npos);
  redis_->Kill();
  EXPECT_EQ(queue_->Get(NewJobId()).status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace haloguard::monitor
