// BodyStream implementation: one mutex-guarded buffer between a producer thread and the HTTP
// server's I/O thread; notifications are coalesced (one wake-up per Take).
#include "server/body_stream.h"

#include <algorithm>
#include <utility>

namespace haloguard::server {

BodyStream::BodyStream(size_t max_buffered) : max_(std::max<size_t>(1, max_buffered)) {}

void BodyStream::Notify(std::unique_lock<std::mutex>& lock) {
  if (notified_ || !notify_) return;
  notified_ = true;
  std::function<void()> fn = notify_;
  lock.unlock();
  fn();
}

bool BodyStream::Write(std::string_view bytes) {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_ || finished_ || aborted_) return false;
  if (bytes.empty()) return true;
  buf_.append(bytes);
  Notify(lock);
  return true;
}

void BodyStream::Finish() {
  std::unique_lock<std::mutex> lock(mu_);
  if (finished_ || aborted_) return;
  finished_ = true;
  Notify(lock);
}

void BodyStream::Abort() {
  std::unique_lock<std::mutex> lock(mu_);
  if (finished_ || aborted_) return;
  aborted_ = true;
  Notify(lock);
}

bool BodyStream::Full() {
  std::lock_guard<std::mutex> lock(mu_);
  const bool full = buf_.size() - off_ >= max_;
  if (full) wants_writable_ = true;
  return full;
}

bool BodyStream::Closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

void BodyStream::SetWritableCallback(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  writable_ = std::move(fn);
}

void BodyStream::Attach(std::function<void()> notify) {
  std::unique_lock<std::mutex> lock(mu_);
  notify_ = std::move(notify);
  notified_ = false;
  if (buf_.size() > off_ || finished_ || aborted_) Notify(lock);
}

BodyStream::Piece BodyStream::Take(size_t max) {
  std::unique_lock<std::mutex> lock(mu_);
  notified_ = false;
  Piece p;
  const size_t n = std::min(max, buf_.size() - off_);
  p.bytes.assign(buf_, off_, n);
  off_ += n;
  if (off_ == buf_.size()) {
    buf_.clear();
    off_ = 0;
  } else if (off_ >= buf_.size() / 2) {  // keep the live part at the front, amortised
    buf_.erase(0, off_);
    off_ = 0;
  }
  const size_t left = buf_.size() - off_;
  if (left == 0) {
    p.finished = finished_;
    p.aborted = aborted_;
  }
  if (wants_writable_ && left < max_ / 2 + 1 && writable_) {
    wants_writable_ = false;
    std::function<void()> fn = writable_;
    lock.unlock();
    fn();
  }
  return p;
}

void BodyStream::MarkClosed() {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return;
  closed_ = true;
  buf_.clear();
  off_ = 0;
  std::function<void()> fn = writable_;
  lock.unlock();
  if (fn) fn();
}

}  // namespace haloguard::server
