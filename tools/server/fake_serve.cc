// hg_fake_serve: `haloguard serve` with the deterministic FakeClassifier instead of a model, for
// end-to-end tests (curl, the OpenAI Node SDK, signals) and load tests. Same server, same
// ServeUntilSignal, same flag parser; prints "LISTENING <port>" on stdout once the socket listens.
// Test tool only.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "cli/flags.h"
#include "cli/proxy_flags.h"
#include "server/serve_main.h"
#include "server/testing/fake_classifier.h"

namespace {

using haloguard::cli::FlagSet;
using haloguard::server::ServeRun;
using haloguard::server::testing::FakeClassifier;
using haloguard::server::testing::FakeClassifierOptions;

struct Flags {
  ServeRun run;
  FakeClassifierOptions fake;
  haloguard::cli::ProxyFlags proxy;
  int64_t port = 0, max_batch = 0, queue_size = 0, concurrency = 0, max_connections = 0;
  int64_t max_body_bytes = 0, drain_timeout_ms = 0, load_delay_ms = 0;
};

// Declares the flags; the integer ones start from the server's own defaults.
void Declare(FlagSet& f, Flags& s) {
  haloguard::server::ServerOptions& o = s.run.server;
  s.max_batch = o.scheduler.max_batch;
  s.queue_size = o.scheduler.queue_size;
  s.concurrency = o.scheduler.concurrency;
  s.max_connections = o.http.max_connections;
  s.max_body_bytes = static_cast<int64_t>(o.http.limits.max_body_bytes);
  s.drain_timeout_ms = s.run.drain_timeout.count();
  f.Int("port", &s.port, "TCP port (0 = pick a free one)");
  f.String("host", &o.http.host, "address to listen on");
  f.Int("max-batch", &s.max_batch, "sequences per batch");
  f.Int("batch-timeout-ms", &o.scheduler.batch_timeout_ms, "longest wait for a batch to fill");
  f.Int("queue-size", &s.queue_size, "sequences waiting; beyond it 429");
  f.Int("concurrency", &s.concurrency, "batches in flight at once");
  f.Int("max-connections", &s.max_connections, "open connections; beyond it 503");
  f.Int("max-body-bytes", &s.max_body_bytes, "largest request body (413 beyond)");
  f.Int("request-timeout-ms", &o.router.request_timeout_ms, "deadline per request (504)");
  f.Int("client-timeout-ms", &o.http.client_timeout_ms, "time to send a request (408)");
  f.Int("keepalive-timeout-ms", &o.http.keepalive_timeout_ms, "idle keep-alive lifetime");
  f.Int("max-connections-per-client", &o.http.max_connections_per_client,
        "connections per client address (0 = no cap)");
  f.Int("header-timeout-ms", &o.http.header_timeout_ms, "first request's header deadline");
  f.Int("max-inflight-body-bytes", &o.http.max_inflight_body_bytes, "global body budget");
  f.String("api-key-file", &o.api_key_file, "file with one accepted key per line");
  f.List("api-key", &o.api_keys, "accepted bearer key (repeatable)");
  f.Bool("open-health", &o.router.open_health, "probes and metrics without a key");
  f.String("access-log", &o.access_log, "JSON-lines access log: a file, or - for stdout");
  f.Bool("log-prompts", &o.router.log_prompts, "include input texts in the access log");
  f.Int("drain-timeout-ms", &s.drain_timeout_ms, "longest graceful drain");
  f.Double("batch-cost-ms", &s.fake.batch_cost_ms, "fake compute cost per batch");
  f.Double("item-cost-ms", &s.fake.item_cost_ms, "fake compute cost per sequence");
  f.Int("load-delay-ms", &s.load_delay_ms, "fake model load time");
  haloguard::cli::AddProxyFlags(f, &s.proxy);
}

void Finalize(Flags& s) {
  haloguard::server::ServerOptions& o = s.run.server;
  o.http.port = static_cast<int>(s.port);
  o.scheduler.max_batch = static_cast<int>(s.max_batch);
  o.scheduler.queue_size = static_cast<int>(s.queue_size);
  o.scheduler.concurrency = static_cast<int>(s.concurrency);
  o.http.max_connections = static_cast<int>(s.max_connections);
  o.http.limits.max_body_bytes = static_cast<size_t>(s.max_body_bytes);
  s.run.drain_timeout = std::chrono::milliseconds(s.drain_timeout_ms);
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  FlagSet flags("fake-serve", "[flags]");
  flags.RefusePositional();
  Declare(flags, f);
  int code = 0;
  if (!haloguard::cli::ParseOrExit(flags, argc, argv, &code)) return code;
  Finalize(f);
  if (const haloguard::Status st = haloguard::cli::FinishProxyFlags(&f.proxy); !st.ok()) {
    std::fprintf(stderr, "fake-serve: %s\n", st.message().c_str());
    return 2;
  }
  f.run.server.router.proxy = f.proxy.options;
  f.run.on_listening = [](int port) {
    std::printf("LISTENING %d\n", port);
    std::fflush(stdout);
  };
  return haloguard::server::ServeUntilSignal(f.run, [&f]() -> haloguard::guard::ClassifierLoader::result_type {
    if (f.load_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(f.load_delay_ms));
    return std::unique_ptr<haloguard::guard::Classifier>(std::make_unique<FakeClassifier>(f.fake));
  });
}
