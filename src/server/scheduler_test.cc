// Scheduler tests with the FakeClassifier: batch formation (size cap and time window), result
// routing, queue-full rejection, deadlines, shutdown, and exactly-once completion under load.
#include "server/scheduler.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "server/testing/fake_classifier.h"

namespace haloguard::server {
namespace {

using testing::FakeClassifier;
using testing::FakeClassifierOptions;
using Results = std::vector<StatusOr<guard::GuardResult>>;

// Concatenation by append: GCC 12 raises a false -Wrestrict on "literal" + std::string&&.
template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  ((out += parts), ...);
  return out;
}

Clock::time_point In(int ms) { return Clock::now() + std::chrono::milliseconds(ms); }

std::vector<guard::ClassifyRequest> Texts(std::vector<std::string> texts) {
  std::vector<guard::ClassifyRequest> out;
  for (auto& t : texts) out.push_back({std::move(t), false});
  return out;
}

// Submits and returns a future for the results.
std::future<Results> SubmitAsync(Scheduler& s, std::vector<std::string> texts, int deadline_ms,
                                 Status* submit_status = nullptr) {
  auto promise = std::make_shared<std::promise<Results>>();
  std::future<Results> f = promise->get_future();
  Status st = s.Submit(Texts(std::move(texts)), In(deadline_ms),
                       [promise](Results r) { promise->set_value(std::move(r)); });
  if (submit_status) *submit_status = st;
  return f;
}

TEST(Scheduler, FillsBatchesUpToMaxBatch) {
  FakeClassifier fake({.batch_cost_ms = 5});
  Scheduler s(&fake, {.max_batch = 8, .batch_timeout_ms = 200, .queue_size = 64});
  std::vector<std::future<Results>> futures;
  for (int i = 0; i < 16; ++i)
    futures.push_back(SubmitAsync(s, {Cat("text ", std::to_string(i))}, 5000));
  for (auto& f : futures) ASSERT_TRUE(f.get()[0].ok());
  // 16 submissions arrive well inside the 200 ms window, so both batches fill to the cap.
  EXPECT_EQ(fake.batch_sizes(), (std::vector<int>{8, 8}));
}

TEST(Scheduler, PartialBatchWaitsForTheWindow) {
  FakeClassifier fake;
  Scheduler s(&fake, {.max_batch = 8, .batch_timeout_ms = 40, .queue_size = 64});
  const Clock::time_point t0 = Clock::now();
  auto a = SubmitAsync(s, {"one"}, 5000);
  auto b = SubmitAsync(s, {"two", "three"}, 5000);
  ASSERT_TRUE(a.get()[0].ok());
  ASSERT_TRUE(b.get()[1].ok());
  EXPECT_GE(SecondsSince(t0), 0.035);  // the window is a lower bound on the first batch's start
  EXPECT_EQ(fake.batch_sizes(), (std::vector<int>{3}));
}

TEST(Scheduler, ResultsBelongToTheirRequests) {
  FakeClassifier fake;
  Scheduler s(&fake, {.max_batch = 3, .batch_timeout_ms = 1, .queue_size = 64, .concurrency = 2});
  std::vector<std::vector<std::string>> jobs;
  std::vector<std::future<Results>> futures;
  for (int j = 0; j < 20; ++j) {
    std::vector<std::string> texts;
    for (int i = 0; i <= j % 4; ++i)
      texts.push_back(Cat("job ", std::to_string(j), " item ", std::to_string(i)));
    jobs.push_back(texts);
    futures.push_back(SubmitAsync(s, texts, 5000));
  }
  for (size_t j = 0; j < jobs.size(); ++j) {
    Results r = futures[j].get();
    ASSERT_EQ(r.size(), jobs[j].size());
    for (size_t i = 0; i < r.size(); ++i) {
      ASSERT_TRUE(r[i].ok());
      EXPECT_EQ(r[i]->debug.at("text_fnv1a"), testing::Fnv1aHex(jobs[j][i]));
    }
  }
}

TEST(Scheduler, RejectsWhenQueueIsFull) {
  FakeClassifier fake({.batch_cost_ms = 300});
  Scheduler s(&fake, {.max_batch = 1, .batch_timeout_ms = 0, .queue_size = 3});
  auto running = SubmitAsync(s, {"running"}, 5000);
  while (fake.batch_sizes().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Status st;
  std::vector<std::future<Results>> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(SubmitAsync(s, {Cat("q", std::to_string(i))}, 5000, &st));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  EXPECT_EQ(s.queued(), 3);
  SubmitAsync(s, {"overflow"}, 5000, &st);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("expected at most 3 waiting sequences, got 4"), std::string::npos);
  EXPECT_EQ(s.Submit({}, In(100), [](Results) {}).code(), StatusCode::kInvalidArgument);
  s.Stop();  // the running batch finishes; the queued jobs are answered UNAVAILABLE
  EXPECT_TRUE(running.get()[0].ok());
  for (auto& f : queued) EXPECT_EQ(f.get()[0].status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.Submit(Texts({"late"}), In(100), [](Results) {}).code(), StatusCode::kUnavailable);
}

TEST(Scheduler, DeadlineAnswersBeforeTheBatchEnds) {
  FakeClassifier fake({.batch_cost_ms = 400});
  Scheduler s(&fake, {.max_batch = 4, .batch_timeout_ms = 0, .queue_size = 8});
  Results r = SubmitAsync(s, {"slow"}, 30).get();
  // Had the batch answered, the slot would be OK: DEADLINE_EXCEEDED proves the watcher won.
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r[0].status().message().find("deadline of"), std::string::npos);
}

TEST(Scheduler, EveryJobCompletesExactlyOnce) {
  FakeClassifier fake({.batch_cost_ms = 2, .item_cost_ms = 0.1});
  std::atomic<int> calls{0}, rejected{0};
  {
    Scheduler s(&fake, {.max_batch = 8, .batch_timeout_ms = 1, .queue_size = 32, .concurrency = 2});
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
      clients.emplace_back([&, t] {
        for (int i = 0; i < 100; ++i) {
          const int deadline = (i % 7 == 0) ? 1 : 2000;  // some expire while queued or running
          Status st = s.Submit(Texts({Cat("c", std::to_string(t), "/", std::to_string(i))}),
                               In(deadline), [&](Results) { calls.fetch_add(1); });
          if (!st.ok()) rejected.fetch_add(1);
        }
      });
    }
    for (auto& c : clients) c.join();
  }  // ~Scheduler: remaining jobs answered UNAVAILABLE
  EXPECT_EQ(calls.load() + rejected.load(), 400);
}

}  // namespace
}  // namespace haloguard::server
