// UpstreamPool implementation: new transfers and wake-ups (a paused stream drained, a client
// left) reach the curl thread through a mutex-guarded inbox and curl_multi_wakeup; the thread
// alone touches curl handles.
#include "server/proxy/upstream.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/clock.h"
#include "core/log.h"

namespace haloguard::server::proxy {
namespace {

constexpr int kPollMs = 20;  // timeout checks run at least this often
// A pooled connection idle longer than this is not reused. libcurl re-sends a request once when
// a *reused* connection closes before any response byte (the upstream dropped its idle
// keep-alive socket as we wrote). Keeping reuse below the usual keep-alive timeouts (uvicorn and
// Node 5 s) keeps that race, and with it a second send of a prompt, out of reach.
constexpr long kMaxIdleReuseS = 2;

struct Transfer {
  uint64_t id = 0;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  UpstreamRequest request;
  std::shared_ptr<BodyStream> body;
  HeadCallback on_head;
  EndCallback on_end;  // may be null
  UpstreamHead head;
  bool head_sent = false;
  bool paused = false;
  Clock::time_point start, last_activity;
};

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
    --e;
  return std::string(s.substr(b, e - b));
}

// The error for a transfer that ended without a response head.
Status HeadError(CURLcode code, const char* detail, const UpstreamOptions& o) {
  const std::string what = std::string(curl_easy_strerror(code)) + (detail[0] ? ": " : "") + detail;
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return DeadlineExceededError("upstream: no connection within " +
                                 std::to_string(o.connect_timeout_ms) + " ms (" + what + ")");
  }
  return UnavailableError("upstream: " + what);
}

}  // namespace

struct UpstreamPool::Impl {
  explicit Impl(const UpstreamOptions& o) : opts(o) {}
  ~Impl() { Stop(); }

  void Run();
  void Stop();
  void Wake(uint64_t id);
  void AddNew();
  void HandleWakes();
  void ReapDone();
  void CheckTimeouts();
  void Remove(Transfer& t);
  void Fail(Transfer& t, Status s);
  void DeliverHead(Transfer& t);
  CURL* NewEasy(Transfer& t);

  static size_t OnHeader(char* data, size_t size, size_t n, void* user);
  static size_t OnBody(char* data, size_t size, size_t n, void* user);

  UpstreamOptions opts;
  CURLM* multi = nullptr;
  std::thread thread;
  std::atomic<bool> stop{false};
  std::mutex mu;  // guards inbox, wakes, stopped
  std::vector<std::unique_ptr<Transfer>> inbox;
  std::vector<uint64_t> wakes;
  bool stopped = false;
  uint64_t next_id = 1;                                          // under mu
  std::unordered_map<uint64_t, std::unique_ptr<Transfer>> live;  // curl thread only
  // Outlives the pool for the streams' writable callbacks (they may fire after Stop()).
  std::shared_ptr<std::pair<std::mutex, Impl*>> self =
      std::make_shared<std::pair<std::mutex, Impl*>>();
};

size_t UpstreamPool::Impl::OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * n);
  t->last_activity = Clock::now();
  if (line.rfind("HTTP/", 0) == 0) {
    t->head.headers.clear();  // a new header block (after a 1xx)
  } else if (line == "\r\n" || line == "\n") {
    long code = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && !t->head_sent) {
      t->head.status = static_cast<int>(code);
      t->head.seconds = std::chrono::duration<double>(Clock::now() - t->start).count();
      t->head_sent = true;
      t->on_head(std::move(t->head));
    }
  } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    t->head.headers.emplace_back(std::move(name), Trim(line.substr(colon + 1)));
  }
  return size * n;
}

size_t UpstreamPool::Impl::OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->body->Closed()) return 0;  // the client left: abort the transfer
  if (t->body->Full()) {
    t->paused = true;  // resumed from HandleWakes once the client drained the stream
    return CURL_WRITEFUNC_PAUSE;
  }
  t->last_activity = Clock::now();
  return t->body->Write(std::string_view(data, size * n)) ? size * n : 0;
}

CURL* UpstreamPool::Impl::NewEasy(Transfer& t) {
  CURL* e = curl_easy_init();
  if (e == nullptr) return nullptr;
  for (const std::string& h : t.request.headers)
    t.headers = curl_slist_append(t.headers, h.c_str());
  t.headers = curl_slist_append(t.headers, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(e, CURLOPT_URL, t.request.url.c_str());
  if (t.request.get) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.request.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(t.request.body.size()));
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opts.connect_timeout_ms));
  curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, kMaxIdleReuseS);
  curl_easy_setopt(e, CURLOPT_PROXY, "");  // the upstream is addressed directly, never via env
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
  return e;
}

void UpstreamPool::Impl::Wake(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu);
  if (stopped) return;
  wakes.push_back(id);
  curl_multi_wakeup(multi);
}

void UpstreamPool::Impl::AddNew() {
  std::vector<std::unique_ptr<Transfer>> batch;
  {
    std::lock_guard<std::mutex> lock(mu);
    batch.swap(inbox);
  }
  for (auto& t : batch) {
    t->easy = NewEasy(*t);
    if (t->easy == nullptr || curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
      if (t->easy != nullptr) curl_easy_cleanup(t->easy);
      curl_slist_free_all(t->headers);
      t->on_head(InternalError("upstream: cannot start a libcurl transfer"));
      continue;
    }
    const uint64_t id = t->id;
    live.emplace(id, std::move(t));
  }
}

// A transfer that failed or was cancelled: the head callback gets `s`, or the body is aborted.
void UpstreamPool::Impl::Fail(Transfer& t, Status s) {
  if (t.head_sent) {
    if (s.code() != StatusCode::kCancelled) {
      HG_LOG(WARNING) << "proxy: upstream stream cut off: " << s.message();
    }
    t.body->Abort();
    if (t.on_end) t.on_end(s);
  } else {
    t.head_sent = true;
    t.on_head(std::move(s));
  }
}

void UpstreamPool::Impl::Remove(Transfer& t) {
  curl_multi_remove_handle(multi, t.easy);  // mid-transfer: closes that connection
  curl_easy_cleanup(t.easy);
  curl_slist_free_all(t.headers);
  live.erase(t.id);  // destroys t
}

void UpstreamPool::Impl::HandleWakes() {
  std::vector<uint64_t> ids;
  {
    std::lock_guard<std::mutex> lock(mu);
    ids.swap(wakes);
  }
  for (uint64_t id : ids) {
    auto it = live.find(id);
    if (it == live.end()) continue;
    Transfer& t = *it->second;
    if (t.body->Closed()) {
      HG_LOG(INFO) << "proxy: the client left; upstream transfer to " << t.request.url
                   << " cancelled";
      Fail(t, CancelledError("upstream: the client went away"));
      Remove(t);
    } else if (t.paused) {
      t.paused = false;
      t.last_activity = Clock::now();
      curl_easy_pause(t.easy, CURLPAUSE_CONT);  // may deliver (and pause) again right here
    }
  }
}

void UpstreamPool::Impl::ReapDone() {
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
    if (m->msg != CURLMSG_DONE) continue;
    Transfer* t = nullptr;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
    const CURLcode code = m->data.result;
    if (code == CURLE_OK && t->head_sent) {
      t->body->Finish();
      if (t->on_end) t->on_end(OkStatus());
    } else if (code == CURLE_OK) {
      Fail(*t, UnavailableError("upstream: the response had no head"));
    } else if (code == CURLE_WRITE_ERROR && t->body->Closed()) {
      HG_LOG(INFO) << "proxy: the client left; upstream transfer to " << t->request.url
                   << " cancelled";
      Fail(*t, CancelledError("upstream: the client went away"));
    } else {
      Fail(*t, HeadError(code, "", opts));
    }
    Remove(*t);
  }
}

void UpstreamPool::Impl::CheckTimeouts() {
  const Clock::time_point now = Clock::now();
  const auto limit = std::chrono::milliseconds(opts.timeout_ms);
  std::vector<Transfer*> late;
  for (auto& [id, t] : live)
    if (!t->paused && now - t->last_activity > limit) late.push_back(t.get());
  for (Transfer* t : late) {
    Fail(*t,
         DeadlineExceededError("upstream: " + std::string(t->head_sent ? "silent" : "no answer") +
                               " for " + std::to_string(opts.timeout_ms) + " ms"));
    Remove(*t);
  }
}

void UpstreamPool::Impl::Run() {
  while (!stop.load()) {
    int ignored = 0;
    curl_multi_poll(multi, nullptr, 0, kPollMs, &ignored);
    AddNew();
    HandleWakes();
    int running = 0;
    curl_multi_perform(multi, &running);
    ReapDone();
    CheckTimeouts();
  }
  AddNew();
  std::vector<Transfer*> all;
  for (auto& [id, t] : live) all.push_back(t.get());
  for (Transfer* t : all) {
    Fail(*t, CancelledError("upstream: the server is stopping"));
    Remove(*t);
  }
}

void UpstreamPool::Impl::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped) return;
    stopped = true;
    stop.store(true);
    if (multi != nullptr) curl_multi_wakeup(multi);
  }
  if (thread.joinable()) thread.join();
  {
    std::lock_guard<std::mutex> lock(self->first);
    self->second = nullptr;
  }
  if (multi != nullptr) curl_multi_cleanup(multi);
  multi = nullptr;
}

StatusOr<std::unique_ptr<UpstreamPool>> UpstreamPool::Start(const UpstreamOptions& options) {
  static const bool curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!curl_ok) return InternalError("upstream: curl_global_init failed");
  auto impl = std::make_unique<Impl>(options);
  impl->multi = curl_multi_init();
  if (impl->multi == nullptr) return InternalError("upstream: curl_multi_init failed");
  const long cap = options.max_connections;
  curl_multi_setopt(impl->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, cap);
  curl_multi_setopt(impl->multi, CURLMOPT_MAX_HOST_CONNECTIONS, cap);
  curl_multi_setopt(impl->multi, CURLMOPT_MAXCONNECTS, cap);
  impl->self->second = impl.get();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<UpstreamPool>(new UpstreamPool(std::move(impl)));
}

UpstreamPool::UpstreamPool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UpstreamPool::~UpstreamPool() { Stop(); }
void UpstreamPool::Stop() { impl_->Stop(); }

void UpstreamPool::Send(UpstreamRequest request, std::shared_ptr<BodyStream> body,
                        HeadCallback on_head, EndCallback on_end) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->body = std::move(body);
  t->on_head = std::move(on_head);
  t->on_end = std::move(on_end);
  t->start = t->last_activity = Clock::now();
  std::unique_lock<std::mutex> lock(impl_->mu);
  if (impl_->stopped) {
    lock.unlock();
    t->on_head(CancelledError("upstream: the server is stopping"));
    return;
  }
  t->id = impl_->next_id++;
  // The stream's writable callback (paused transfer may go on; client left) reaches the curl
  // thread by id, and only while the pool exists.
  t->body->SetWritableCallback([self = impl_->self, id = t->id] {
    std::lock_guard<std::mutex> l(self->first);
    if (self->second != nullptr) self->second->Wake(id);
  });
  impl_->inbox.push_back(std::move(t));
  curl_multi_wakeup(impl_->multi);
}

}  // namespace haloguard::server::proxy
