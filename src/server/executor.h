// Executor: a fixed pool of threads running posted tasks in FIFO order (the HTTP handler pool).
// Unlike core/thread_pool.h (data-parallel loops), tasks here are independent and fire-and-forget.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace haloguard::server {

class Executor {
 public:
  explicit Executor(int num_threads);  // at least 1 thread
  ~Executor();                         // Shutdown()
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task`; dropped (never run) after Shutdown(). Thread-safe.
  void Post(std::function<void()> task);
  // Runs every queued task, then joins the threads. Idempotent.
  void Shutdown();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace haloguard::server
