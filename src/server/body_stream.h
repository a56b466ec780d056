// BodyStream: a response body a handler produces piece by piece (a relayed upstream SSE
// stream). The handler writes bytes; the HTTP server's I/O thread sends them as they come
// (chunked transfer coding on HTTP/1.1, raw until close on HTTP/1.0) and tells the producer when
// to slow down (Full) and when to go on (the writable callback), so memory per stream stays
// bounded by max_buffered plus one write whatever the client's read speed.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace haloguard::server {

class BodyStream {
 public:
  // `max_buffered`: bytes held for the client beyond which Full() is true.
  explicit BodyStream(size_t max_buffered);
  BodyStream(const BodyStream&) = delete;
  BodyStream& operator=(const BodyStream&) = delete;

  // --- producer side (any thread) ---
  // Queues `bytes` for the client; false (bytes dropped) once the client is gone or the body
  // ended. Never blocks; the producer checks Full() first to apply backpressure.
  bool Write(std::string_view bytes);
  // The body is complete: the server sends what is queued, then ends the response.
  void Finish();
  // The body cannot be completed (upstream failure): queued bytes are sent, then the connection
  // closes without the terminating chunk, so the client sees a truncated response.
  void Abort();
  // True when max_buffered bytes or more wait for the client. After a true, the writable
  // callback runs once the buffer drained below half (or the client went away).
  bool Full();
  // True once the client went away (closed, reset, too slow) or the server stopped.
  bool Closed() const;
  // Runs on the server's I/O thread (must be cheap, must not block, must not call back into
  // this stream's server side) after Full() was true and the buffer drained, and once when the
  // client goes away. Set it before the response is handed to the server.
  void SetWritableCallback(std::function<void()> fn);

  // --- server side (the I/O thread) ---
  // `notify` wakes the I/O thread; called (outside the lock) at most once per Take().
  void Attach(std::function<void()> notify);
  struct Piece {
    std::string bytes;
    bool finished = false;  // no more bytes will come: end the response after `bytes`
    bool aborted = false;   // end the connection after `bytes`
  };
  // Takes up to `max` queued bytes and the end state once everything was taken.
  Piece Take(size_t max);
  // The client went away: later writes are dropped; the writable callback runs.
  void MarkClosed();

 private:
  void Notify(std::unique_lock<std::mutex>& lock);

  mutable std::mutex mu_;
  const size_t max_;
  std::string buf_;
  size_t off_ = 0;  // bytes of buf_ already taken
  bool finished_ = false, aborted_ = false, closed_ = false;
  bool notified_ = false;        // a notify is on its way to the I/O thread
  bool wants_writable_ = false;  // Full() said true; call writable_ when it drains
  std::function<void()> notify_, writable_;
};

}  // namespace haloguard::server
