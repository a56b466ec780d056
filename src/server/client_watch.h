// ClientWatch: tells a handler that the client of the request it is working on went away
// (closed or reset its connection) before the response was sent, so it can cancel work done on
// the client's behalf (the guard proxy's upstream transfer). Set by the HTTP server's I/O thread.
#pragma once

#include <functional>
#include <mutex>

namespace haloguard::server {

class ClientWatch {
 public:
  // Runs `fn` once when the client goes away: at once (on this thread) if it already has,
  // else later on the I/O thread (cheap, must not block). Replaces an earlier callback.
  void OnGone(std::function<void()> fn) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!gone_) {
      fn_ = std::move(fn);
      return;
    }
    lock.unlock();
    fn();
  }
  bool gone() const {
    std::lock_guard<std::mutex> lock(mu_);
    return gone_;
  }
  // The server's side: the client left. Idempotent.
  void Fire() {
    std::unique_lock<std::mutex> lock(mu_);
    if (gone_) return;
    gone_ = true;
    std::function<void()> fn = std::move(fn_);
    lock.unlock();
    if (fn) fn();
  }

 private:
  mutable std::mutex mu_;
  bool gone_ = false;
  std::function<void()> fn_;
};

}  // namespace haloguard::server
