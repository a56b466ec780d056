// HttpServer: one epoll I/O thread owns every socket; handlers run on a small pool and hand their
// responses back through an eventfd-signalled queue. Each connection handles one request at a
// time (pipelined bytes wait in its buffer), so per-connection memory stays bounded.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/log.h"
#include "server/executor.h"

namespace haloguard::server {
namespace {

constexpr uint64_t kListenerId = 0;
constexpr uint64_t kWakeId = 1;
constexpr size_t kReadChunk = 64 * 1024;
constexpr int kReadRoundsPerWakeup = 4;      // fairness: at most 256 KiB per event
// After a closing response the rest of the request is read and discarded (never stored), so the
// client sees the response (a 401 or 413 sent before the body) instead of a reset. Bounded by
// bytes and by time: 64 MiB covers a refused monitor upload, 2 s caps a client that never stops.
constexpr size_t kMaxLingerBytes = size_t{64} << 20;
constexpr int64_t kLingerMs = 2000;
// At shutdown, how long the server keeps trying to write the final 503s of requests that
// arrived on open connections (all connections together).
constexpr auto kFinalWriteBudget = std::chrono::milliseconds(500);
constexpr auto kSweepInterval = std::chrono::milliseconds(100);
// While draining, idle connections are closed once idle this long: long enough that a client
// which just connected (a readiness probe) gets to send its request and see the 503.
constexpr auto kDrainIdleGrace = std::chrono::milliseconds(250);

// Bytes of a streamed body moved to a connection's output buffer at a time: the stream keeps
// the rest (and tells its producer to pause) while the client is slower than the producer.
constexpr size_t kStreamSlice = 64 * 1024;

struct Completion {
  uint64_t conn_id;
  uint64_t seq;
  HttpResponse response;
  bool stream_ready = false;  // not a response: the connection's BodyStream has bytes or ended
};

// Outlives the server: a Responder called after Stop() finds wake_fd == -1 and drops its
// response instead of touching freed memory.
struct CompletionQueue {
  std::mutex mu;
  std::vector<Completion> items;
  int wake_fd = -1;

  void Push(Completion c) {
    std::unique_lock<std::mutex> lock(mu);
    if (wake_fd < 0) {  // stopped: a streamed body has no client any more
      lock.unlock();
      if (c.response.stream) c.response.stream->MarkClosed();
      return;
    }
    items.push_back(std::move(c));
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof(one));
  }
};

struct Conn {
  enum class Phase { kReading, kHandling, kStreaming, kWriting, kLingering };
  Conn(uint64_t i, int f, std::string r, std::string a, const HttpLimits& limits)
      : id(i), fd(f), remote(std::move(r)), address(std::move(a)), parser(limits) {
    parser.set_stop_after_headers(true);
  }
  uint64_t id;
  int fd;
  std::string remote;   // "address:port"
  std::string address;  // the client IP address alone (the per-client connection cap's key)
  HttpParser parser;
  std::string in;   // received bytes the parser has not consumed yet
  std::string out;  // bytes to send, from out_off on
  size_t out_off = 0;
  Phase phase = Phase::kReading;
  Clock::time_point deadline;
  Clock::time_point idle_since;  // when the connection last became idle (accept, response sent)
  uint64_t seq = 0;              // id of the request being handled
  bool keep_alive = true;
  bool head = false;
  bool close_after_write = false;
  bool continue_sent = false;
  bool counted = false;  // counted in active_ (dispatched, response not yet fully written)
  bool headers_checked = false;  // HeaderCheck ran for the current request
  int64_t reserved = 0;          // body bytes reserved against max_inflight_body_bytes
  std::shared_ptr<BodyStream> stream;  // kStreaming: the body being relayed
  std::shared_ptr<ClientWatch> watch;  // kHandling: told when the client leaves
  bool chunked = false;                // kStreaming: chunked framing (HTTP/1.1 clients)
  bool http10 = false;                 // the request being handled is HTTP/1.0
  size_t lingered = 0;
  uint32_t interest = 0;
};

// The client's IP address ("127.0.0.1", "::1") and "address:port" ("[::1]:5000") for logs.
std::pair<std::string, std::string> FormatRemote(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    port = ntohs(a->sin_port);
    return {buf, std::string(buf) + ":" + std::to_string(port)};
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
  inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
  port = ntohs(a->sin6_port);
  std::string out = "[";  // built with += : GCC 12 raises a false -Wrestrict on "[" + string
  out += buf;
  out += "]:";
  out += std::to_string(port);
  return {buf, out};
}

// Best effort, never blocks: a refusal sent on a connection we are about to close.
void SendAndClose(int fd, const std::string& bytes) {
  [[maybe_unused]] ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
}

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Serialises the status line, framing headers, extra headers and (unless HEAD) the body. A
// streamed response (r.stream) gets "Transfer-Encoding: chunked" when `chunked`, else no length
// (the body ends at close); its body follows later.
void AppendResponse(const HttpResponse& r, bool close, bool head, std::string& out,
                    bool chunked = false) {
  out += "HTTP/1.1 " + std::to_string(r.status) + " " + HttpReason(r.status) + "\r\n";
  if (!r.content_type.empty()) out += "Content-Type: " + r.content_type + "\r\n";
  if (!r.stream) {
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  } else if (chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  }
  out += close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  out += "\r\n";
  if (!head && !r.stream) out += r.body;
}

// One piece of a streamed body in chunked framing: "<hex length>\r\n<bytes>\r\n".
void AppendChunk(std::string_view bytes, std::string& out) {
  char len[24];
  std::snprintf(len, sizeof(len), "%zx\r\n", bytes.size());
  out += len;
  out += bytes;
  out += "\r\n";
}

StatusOr<int> BindListener(const HttpServerOptions& o) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  const std::string host = o.host == "localhost" ? "127.0.0.1" : o.host;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(o.port));
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(o.port));
    len = sizeof(sockaddr_in6);
  } else {
    return InvalidArgumentError(
        "serve: --host; expected an IPv4/IPv6 literal or 'localhost', got '" + o.host + "'");
  }
  if (o.port < 0 || o.port > 65535) {
    return InvalidArgumentError("serve: --port; expected 0..65535, got " + std::to_string(o.port));
  }
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return UnavailableError(ErrnoText("serve: socket"));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(fd, o.listen_backlog) != 0) {
    Status s = UnavailableError(
        ErrnoText(("serve: cannot listen on " + o.host + ":" + std::to_string(o.port)).c_str()));
    ::close(fd);
    return s;
  }
  return fd;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& o, HttpHandler h, ProtocolErrorHandler e, HeaderCheck c)
      : opts_(o),
        handler_(std::move(h)),
        on_error_(std::move(e)),
        header_check_(std::move(c)),
        pool_(o.handler_threads) {}
  ~Impl();

  Status Init();
  void Run();
  void Stop();

  int port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<int64_t> open_{0};
  std::atomic<int64_t> active_{0};
  std::atomic<int64_t> inflight_body_{0};  // sum of Conn::reserved (written on the I/O thread)

 private:
  void Accept();
  void OnEvent(uint64_t id, uint32_t events);
  void OnReadable(Conn& c);
  bool ParseAndDispatch(Conn& c);
  bool OnHeaders(Conn& c);
  bool ReserveBody(Conn& c);
  void ReleaseBody(Conn& c);
  void Refuse(Conn& c, HttpResponse r);
  void FinalClose(Conn& c, Clock::time_point write_until);
  bool HasUnreadBytes(const Conn& c) const;  void Dispatch(Conn& c, HttpRequest req);
  void SendResponse(Conn& c, const HttpResponse& r);
  void StartStream(Conn& c, const HttpResponse& r, bool close);
  bool StreamOut(Conn& c);
  bool SendPending(Conn& c, bool progress_extends_deadline);
  bool Flush(Conn& c);
  void AfterWrite(Conn& c);
  void StartLinger(Conn& c);
  void UpdateInterest(Conn& c);
  void Close(Conn& c);
  void DrainCompletions();
  void Sweep();
  void PauseAccept();

  HttpServerOptions opts_;
  HttpHandler handler_;
  ProtocolErrorHandler on_error_;
  HeaderCheck header_check_;
  Executor pool_;
  std::shared_ptr<CompletionQueue> done_ = std::make_shared<CompletionQueue>();
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex stop_mu_;
  bool stopped_ = false;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;  // I/O thread only
  std::unordered_map<std::string, int> per_client_;             // open connections per address
  uint64_t next_id_ = 2;
  Clock::time_point accept_paused_until_{};
  bool accept_paused_ = false;
};

HttpServer::Impl::~Impl() { Stop(); }

Status HttpServer::Impl::Init() {
  HG_ASSIGN_OR_RETURN(listen_fd_, BindListener(opts_));
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                           : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return UnavailableError(ErrnoText("serve: epoll/eventfd"));
  done_->wake_fd = wake_fd_;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.u64 = kWakeId;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  thread_ = std::thread([this] { Run(); });
  return OkStatus();
}

void HttpServer::Impl::Run() {
  epoll_event events[256];
  Clock::time_point next_sweep = Clock::now() + kSweepInterval;
  while (!stop_.load()) {
    const int n = epoll_wait(epoll_fd_, events, 256, 50);
    for (int i = 0; i < n && !stop_.load(); ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kListenerId) {
        Accept();
      } else if (id == kWakeId) {
        uint64_t v;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_, &v, sizeof(v));
      } else {
        OnEvent(id, events[i].events);
      }
    }
    DrainCompletions();
    if (accept_paused_ && Clock::now() >= accept_paused_until_) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kListenerId;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
      accept_paused_ = false;
    }
    if (Clock::now() >= next_sweep) {
      Sweep();
      next_sweep = Clock::now() + kSweepInterval;
    }
  }
  // Requests already on open connections get a complete 503 instead of a reset (issue 13).
  const Clock::time_point write_until = Clock::now() + kFinalWriteBudget;
  while (!conns_.empty()) FinalClose(*conns_.begin()->second, write_until);
}

void HttpServer::Impl::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stop_.store(true);
  if (thread_.joinable()) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t r = ::write(wake_fd_, &one, sizeof(one));
    thread_.join();
  }
  pool_.Shutdown();
  {
    std::vector<Completion> dropped;
    {
      std::lock_guard<std::mutex> lock(done_->mu);
      done_->wake_fd = -1;
      dropped.swap(done_->items);
    }
    for (Completion& d : dropped)
      if (d.response.stream) d.response.stream->MarkClosed();
  }
  for (int* fd : {&listen_fd_, &epoll_fd_, &wake_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void HttpServer::Impl::PauseAccept() {
  // Out of descriptors: stop polling the listener briefly instead of spinning on EMFILE.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  accept_paused_ = true;
  accept_paused_until_ = Clock::now() + std::chrono::milliseconds(100);
  HG_LOG(WARNING) << "serve: accept paused for 100 ms: " << std::strerror(errno);
}

void HttpServer::Impl::Accept() {
  for (;;) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) PauseAccept();
      return;
    }
    auto [address, remote] = FormatRemote(addr);
    const char* refusal = nullptr;
    if (static_cast<int64_t>(conns_.size()) >= opts_.max_connections) {
      refusal = "too many open connections; retry later";
    } else if (auto it = per_client_.find(address); opts_.max_connections_per_client > 0 &&
                                                     it != per_client_.end() &&
                                                     it->second >= opts_.max_connections_per_client) {
      refusal = "too many open connections from this client address; retry later";
    }
    if (refusal != nullptr) {
      std::string out;
      AppendResponse(on_error_(503, refusal, remote), true, false, out);
      SendAndClose(fd, out);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ++per_client_[address];
    auto conn = std::make_unique<Conn>(next_id_++, fd, std::move(remote), std::move(address),
                                       opts_.limits);
    conn->deadline = Clock::now() + std::chrono::milliseconds(std::min(
                                        opts_.keepalive_timeout_ms, opts_.header_timeout_ms));
    conn->idle_since = Clock::now();
    Conn& c = *conn;
    conns_.emplace(c.id, std::move(conn));
    open_.fetch_add(1);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = c.id;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    c.interest = EPOLLIN;
  }
}

void HttpServer::Impl::OnEvent(uint64_t id, uint32_t events) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  if (c.phase == Conn::Phase::kStreaming && (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
    return Close(c);  // the client went away mid-stream: Close marks the stream closed
  }
  if (c.phase == Conn::Phase::kHandling && (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
      c.watch) {
    // The handler learns it; the connection stays (a half-closed client still gets its answer).
    std::shared_ptr<ClientWatch> w = std::move(c.watch);
    UpdateInterest(c);
    w->Fire();
  }
  if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) return Close(c);
  if (events & EPOLLOUT) {
    if (!Flush(c)) return;
  }
  if ((events & EPOLLIN) &&
      (c.phase == Conn::Phase::kReading || c.phase == Conn::Phase::kLingering)) {
    OnReadable(c);
  }
}

void HttpServer::Impl::OnReadable(Conn& c) {
  char buf[kReadChunk];
  for (int round = 0; round < kReadRoundsPerWakeup; ++round) {
    const ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
    if (n == 0) return Close(c);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) Close(c);
      return;
    }
    if (c.phase == Conn::Phase::kLingering) {
      c.lingered += static_cast<size_t>(n);
      if (c.lingered > kMaxLingerBytes) return Close(c);
      continue;
    }
    c.in.append(buf, static_cast<size_t>(n));
    if (!ParseAndDispatch(c) || c.phase != Conn::Phase::kReading) return;
  }
}

// Returns false when the connection was closed.
bool HttpServer::Impl::ParseAndDispatch(Conn& c) {
  const uint64_t id = c.id;  // `c` may be destroyed by SendResponse/Flush below
  while (c.phase == Conn::Phase::kReading && !c.in.empty()) {
    const bool was_started = c.parser.started();
    const size_t used = c.parser.Feed(c.in);
    c.in.erase(0, used);
    const Clock::time_point now = Clock::now();
    if (!was_started && c.parser.started() && c.seq > 0) {
      c.deadline = now + std::chrono::milliseconds(opts_.client_timeout_ms);
    }
    if (c.parser.state() == HttpParser::State::kError) {
      HttpResponse r = on_error_(c.parser.error_status(), c.parser.error_message(), c.remote);
      r.close = true;
      c.keep_alive = false;
      c.head = false;
      SendResponse(c, r);
      return conns_.count(id) > 0;
    }
    if (c.parser.headers_done() && !c.headers_checked) {
      c.headers_checked = true;
      // The first request had header_timeout_ms for its headers; now the whole-request clock.
      if (c.seq == 0) c.deadline = c.idle_since + std::chrono::milliseconds(opts_.client_timeout_ms);
      if (!OnHeaders(c)) return conns_.count(id) > 0;
    }
    if (!ReserveBody(c)) return conns_.count(id) > 0;
    if (c.parser.state() == HttpParser::State::kComplete) {
      Dispatch(c, c.parser.TakeRequest());
      return true;
    }
    if (c.parser.headers_done() && c.parser.request().expect_continue && !c.continue_sent) {
      c.continue_sent = true;
      c.out += "HTTP/1.1 100 Continue\r\n\r\n";
      if (!Flush(c)) return false;
    }
    if (used == 0) break;
  }
  return conns_.count(id) > 0;
}

// Runs the HeaderCheck on a request that announced a body; false when it was refused.
bool HttpServer::Impl::OnHeaders(Conn& c) {
  if (!header_check_ || c.parser.state() != HttpParser::State::kNeedMore) return true;
  std::optional<HttpResponse> refusal = header_check_(c.parser.request());
  if (!refusal) return true;
  Refuse(c, std::move(*refusal));
  return false;
}

// Grows this connection's share of the global body budget to what its request announced;
// false (after a 503) when that would go beyond max_inflight_body_bytes.
bool HttpServer::Impl::ReserveBody(Conn& c) {
  const int64_t want = static_cast<int64_t>(
      std::min<uint64_t>(c.parser.body_bytes_expected(), uint64_t{1} << 62));
  if (want <= c.reserved) return true;
  const int64_t total = inflight_body_.load() + (want - c.reserved);
  if (total > opts_.max_inflight_body_bytes) {
    HttpResponse r = on_error_(
        503,
        "the server is receiving too many request bodies at once (more than " +
            std::to_string(opts_.max_inflight_body_bytes) + " bytes); retry later",
        c.remote);
    r.headers.emplace_back("Retry-After", "1");
    Refuse(c, std::move(r));
    return false;
  }
  inflight_body_.store(total);
  c.reserved = want;
  return true;
}

void HttpServer::Impl::ReleaseBody(Conn& c) {
  inflight_body_.store(inflight_body_.load() - c.reserved);
  c.reserved = 0;
}

// Answers the request being read with `r` and closes after it; the rest of its body is
// discarded while lingering, never stored.
void HttpServer::Impl::Refuse(Conn& c, HttpResponse r) {
  r.close = true;
  c.keep_alive = false;
  c.head = false;
  ReleaseBody(c);
  SendResponse(c, r);
}

void HttpServer::Impl::Dispatch(Conn& c, HttpRequest req) {
  c.phase = Conn::Phase::kHandling;
  c.continue_sent = false;
  c.headers_checked = false;
  c.keep_alive = req.keep_alive;
  c.head = req.method == "HEAD";
  c.http10 = req.version_minor == 0;
  const uint64_t seq = ++c.seq;
  req.remote = c.remote;
  req.received = Clock::now();
  c.watch = std::make_shared<ClientWatch>();
  req.client = c.watch;
  UpdateInterest(c);
  c.counted = true;
  active_.fetch_add(1);
  Responder respond = [q = done_, id = c.id, seq](HttpResponse r) {
    q->Push({id, seq, std::move(r)});
  };
  pool_.Post([this, req = std::move(req), respond]() mutable {
    try {
      handler_(std::move(req), respond);
    } catch (const std::exception& e) {  // handlers don't throw; this keeps the connection alive
      HG_LOG(ERROR) << "serve: handler threw: " << e.what();
      respond(on_error_(500, "internal error", ""));
    }
  });
}

void HttpServer::Impl::SendResponse(Conn& c, const HttpResponse& r) {
  c.watch.reset();  // answered: nothing left to cancel
  const bool close = r.close || !c.keep_alive || draining_.load() || stop_.load();
  if (r.stream) return StartStream(c, r, close);
  AppendResponse(r, close, c.head, c.out);
  c.close_after_write = close;
  c.phase = Conn::Phase::kWriting;
  c.deadline = Clock::now() + std::chrono::milliseconds(opts_.client_timeout_ms);
  Flush(c);
}

// Headers now, body from r.stream as it is written. HEAD gets the headers alone.
void HttpServer::Impl::StartStream(Conn& c, const HttpResponse& r, bool close) {
  c.chunked = !c.http10;
  const bool until_close = close || c.http10;
  AppendResponse(r, until_close, c.head, c.out, c.chunked);
  c.close_after_write = until_close;
  if (c.head) {
    r.stream->MarkClosed();
    c.phase = Conn::Phase::kWriting;
    c.deadline = Clock::now() + std::chrono::milliseconds(opts_.client_timeout_ms);
    Flush(c);
    return;
  }
  c.phase = Conn::Phase::kStreaming;
  c.stream = r.stream;
  c.deadline = Clock::now() + std::chrono::milliseconds(opts_.client_timeout_ms);
  const uint64_t id = c.id, seq = c.seq;
  c.stream->Attach([q = done_, id, seq] { q->Push({id, seq, HttpResponse{}, true}); });
  StreamOut(c);
}

// Sends c.out from out_off; false when the connection was closed. Leaves bytes pending (and
// EPOLLOUT on) when the socket is full. With `progress_extends_deadline` (streams, which may
// run long) bytes taken push the write deadline; a plain response must drain within it.
bool HttpServer::Impl::SendPending(Conn& c, bool progress_extends_deadline) {
  bool progress = false;
  while (c.out_off < c.out.size()) {
    const ssize_t n =
        ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      progress = true;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (progress && progress_extends_deadline) {
        c.deadline = Clock::now() + std::chrono::milliseconds(opts_.client_timeout_ms);
      }
      UpdateInterest(c);
      return true;
    } else {
      Close(c);
      return false;
    }
  }
  c.out.clear();
  c.out_off = 0;
  return true;
}

// kStreaming: moves the stream's bytes to the socket while the socket takes them; at the
// stream's end writes the last chunk and goes on as an ordinary written response. Returns
// false when the connection was closed.
bool HttpServer::Impl::StreamOut(Conn& c) {
  for (;;) {
    if (!SendPending(c, /*progress_extends_deadline=*/true)) return false;
    if (c.out_off < c.out.size()) return true;  // the client is slower than the producer
    BodyStream::Piece p = c.stream->Take(kStreamSlice);
    if (!p.bytes.empty()) {
      if (c.chunked) {
        AppendChunk(p.bytes, c.out);
      } else {
        c.out += p.bytes;
      }
      c.deadline = Clock::now() + std::chrono::milliseconds(opts_.client_timeout_ms);
    }
    if (p.aborted) {
      SendPending(c, false);  // best effort: what came before the failure
      if (conns_.count(c.id) > 0) Close(c);
      return false;
    }
    if (p.finished) {
      if (c.chunked) c.out += "0\r\n\r\n";
      c.stream.reset();
      c.phase = Conn::Phase::kWriting;
      c.deadline = Clock::now() + std::chrono::milliseconds(opts_.client_timeout_ms);
      return Flush(c);
    }
    if (p.bytes.empty()) {  // waiting for the producer: no client deadline meanwhile
      c.deadline = Clock::time_point::max();
      UpdateInterest(c);
      return true;
    }
  }
}

// Sends what the socket takes; returns false when the connection was closed.
bool HttpServer::Impl::Flush(Conn& c) {
  if (c.phase == Conn::Phase::kStreaming) return StreamOut(c);
  const uint64_t id = c.id;  // AfterWrite may close (destroy) `c`
  if (!SendPending(c, /*progress_extends_deadline=*/false)) return false;
  if (c.out_off < c.out.size()) return true;
  if (c.phase == Conn::Phase::kWriting)
    AfterWrite(c);
  else
    UpdateInterest(c);
  return conns_.count(id) > 0;
}

void HttpServer::Impl::AfterWrite(Conn& c) {
  if (c.counted) active_.fetch_sub(1);
  c.counted = false;
  ReleaseBody(c);
  if (c.close_after_write) return StartLinger(c);
  c.phase = Conn::Phase::kReading;
  c.deadline = Clock::now() + std::chrono::milliseconds(opts_.keepalive_timeout_ms);
  c.idle_since = Clock::now();
  UpdateInterest(c);
  ParseAndDispatch(c);  // a pipelined request may already be buffered
}

// Half-closes and discards what the client still sends, so the kernel doesn't answer unread
// request bytes with a RST that would destroy the response we just wrote (e.g. a 413).
void HttpServer::Impl::StartLinger(Conn& c) {
  ::shutdown(c.fd, SHUT_WR);
  c.phase = Conn::Phase::kLingering;
  c.in.clear();
  c.deadline = Clock::now() + std::chrono::milliseconds(kLingerMs);
  UpdateInterest(c);
}

void HttpServer::Impl::UpdateInterest(Conn& c) {
  uint32_t want = 0;
  if (c.phase == Conn::Phase::kReading || c.phase == Conn::Phase::kLingering) want |= EPOLLIN;
  // Learn that the client left: mid-stream (then the stream stops) and while a handler works
  // (once; then the handler's ClientWatch fires).
  if (c.phase == Conn::Phase::kStreaming || (c.phase == Conn::Phase::kHandling && c.watch)) {
    want |= EPOLLRDHUP;
  }
  if (c.out_off < c.out.size()) want |= EPOLLOUT;
  if (want == c.interest) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = c.id;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.interest = want;
}

void HttpServer::Impl::Close(Conn& c) {
  if (c.stream) c.stream->MarkClosed();  // the producer stops (cancels its upstream transfer)
  if (c.watch) std::exchange(c.watch, nullptr)->Fire();
  if (c.counted) active_.fetch_sub(1);
  ReleaseBody(c);
  if (auto it = per_client_.find(c.address); it != per_client_.end() && --it->second <= 0) {
    per_client_.erase(it);
  }
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  ::close(c.fd);
  open_.fetch_sub(1);
  conns_.erase(c.id);  // destroys c
}

void HttpServer::Impl::DrainCompletions() {
  std::vector<Completion> items;
  {
    std::lock_guard<std::mutex> lock(done_->mu);
    items.swap(done_->items);
  }
  for (Completion& d : items) {
    auto it = conns_.find(d.conn_id);
    Conn* c = it == conns_.end() ? nullptr : it->second.get();
    if (d.stream_ready) {
      if (c != nullptr && c->phase == Conn::Phase::kStreaming && c->seq == d.seq) StreamOut(*c);
      continue;
    }
    // The client went away while we worked, or a duplicate respond(): a stream has no reader.
    if (c == nullptr || c->phase != Conn::Phase::kHandling || c->seq != d.seq) {
      if (d.response.stream) d.response.stream->MarkClosed();
      continue;
    }
    SendResponse(*c, d.response);
  }
}

void HttpServer::Impl::Sweep() {
  const Clock::time_point now = Clock::now();
  std::vector<uint64_t> expired, idle;
  for (auto& [id, conn] : conns_) {
    const Conn& c = *conn;
    const bool is_idle = c.phase == Conn::Phase::kReading && !c.parser.started() && c.in.empty();
    if (c.phase != Conn::Phase::kHandling && now >= c.deadline)
      expired.push_back(id);
    else if (draining_.load() && is_idle && now - c.idle_since >= kDrainIdleGrace)
      idle.push_back(id);
  }
  for (uint64_t id : idle) {
    // A request that is already in the socket buffer gets its 503 instead of a reset.
    if (!HasUnreadBytes(*conns_.at(id))) Close(*conns_.at(id));
  }
  for (uint64_t id : expired) {
    Conn& c = *conns_.at(id);
    if (c.phase == Conn::Phase::kStreaming) {
      HG_LOG(WARNING) << "serve: " << c.remote << " read nothing of a streamed response for "
                      << opts_.client_timeout_ms << " ms; dropping the connection";
    }
    if (c.phase != Conn::Phase::kReading || !c.parser.started()) {
      Close(c);
      continue;
    }
    HttpResponse r = on_error_(
        408, "request not received within " + std::to_string(opts_.client_timeout_ms) + " ms",
        c.remote);
    r.close = true;
    c.head = false;
    SendResponse(c, r);
  }
}

bool HttpServer::Impl::HasUnreadBytes(const Conn& c) const {
  char b;
  return ::recv(c.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

// Shutdown: answers what already arrived on `c` (a request being read or handled gets 503 +
// Connection: close; a response being written is finished), writing until `write_until`, then
// discards unread input and closes, so no client that sent a request sees a reset for it.
void HttpServer::Impl::FinalClose(Conn& c, Clock::time_point write_until) {
  char buf[kReadChunk];
  ssize_t n = 0;
  while (c.phase == Conn::Phase::kReading && c.in.size() < kReadChunk &&
         (n = ::recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
    c.in.append(buf, static_cast<size_t>(n));
  }
  const bool pending = c.phase == Conn::Phase::kHandling ||
                       (c.phase == Conn::Phase::kReading && (c.parser.started() || !c.in.empty()));
  if (pending) {
    c.out.erase(0, c.out_off);
    c.out_off = 0;
    AppendResponse(on_error_(503, "the server is shutting down; retry on a new connection",
                             c.remote),
                   true, false, c.out);
  }
  if (c.phase != Conn::Phase::kLingering) {
    while (c.out_off < c.out.size() && Clock::now() < write_until) {
      const ssize_t w = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) {
        c.out_off += static_cast<size_t>(w);
      } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        pollfd p{c.fd, POLLOUT, 0};
        ::poll(&p, 1, 10);
      } else {
        break;
      }
    }
    ::shutdown(c.fd, SHUT_WR);
  }
  for (int i = 0; i < 16 && ::recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; ++i) {
  }
  Close(c);
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Stop(); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                        HttpHandler handler,
                                                        ProtocolErrorHandler on_protocol_error,
                                                        HeaderCheck header_check) {
  HG_CHECK(handler && on_protocol_error);
  auto impl = std::make_unique<Impl>(options, std::move(handler), std::move(on_protocol_error),
                                     std::move(header_check));
  HG_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const { return impl_->port_; }
void HttpServer::SetDraining() { impl_->draining_.store(true); }
int64_t HttpServer::open_connections() const { return impl_->open_.load(); }
int64_t HttpServer::active_requests() const { return impl_->active_.load(); }
int64_t HttpServer::inflight_body_bytes() const { return impl_->inflight_body_.load(); }
void HttpServer::Stop() { impl_->Stop(); }

const char* HttpReason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace haloguard::server
