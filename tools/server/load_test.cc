// hg_server_loadtest: a bounded loopback load test of the guard server with the FakeClassifier,
// whose cost model is "fixed cost per batch + small cost per item" (like a batched forward pass:
// default 10 ms + 0.5 ms per sequence). Scenarios, all on 127.0.0.1 with bounded request counts:
//   1. batching: the same closed-loop concurrency against max_batch=1 and max_batch=16;
//   2. overload: many clients against a tiny queue -> 429s (load shed), then light load -> all 200.
// Prints a JSON report; with --check exits 1 unless batching raised throughput >= 3x (theory at
// these settings is about 9x), overload produced 429s, and every post-overload request was 200.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server/server.h"
#include "server/testing/fake_classifier.h"
#include "server/testing/http_client.h"

namespace {

using haloguard::Clock;
using haloguard::server::GuardServer;
using haloguard::server::ServerOptions;
using haloguard::server::testing::FakeClassifier;
using haloguard::server::testing::FakeClassifierOptions;
using haloguard::server::testing::TestConnection;

struct RunResult {
  int requests = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
  std::map<int, int> statuses;  // HTTP status -> count (0 = transport error)
  std::vector<int> batch_sizes;
};

// `clients` threads, each on one keep-alive connection, send `per_client` requests back to back.
RunResult Drive(int port, int clients, int per_client) {
  std::mutex mu;
  RunResult res;
  std::vector<std::thread> threads;
  const Clock::time_point t0 = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto conn = TestConnection::Connect(port);
      for (int i = 0; i < per_client; ++i) {
        std::string body = nlohmann::json({{"query", "load client " + std::to_string(c) + " #" +
                                                         std::to_string(i)}})
                               .dump();
        const Clock::time_point start = Clock::now();
        int status = 0;
        if (conn.ok() && conn->Send("POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                    std::to_string(body.size()) + "\r\n\r\n" + body)) {
          auto r = conn->Read(20000);
          if (r.ok()) status = r->status;
        }
        if (status == 0 || (conn.ok() && status == 503)) conn = TestConnection::Connect(port);
        std::lock_guard<std::mutex> lock(mu);
        res.latencies_ms.push_back(haloguard::SecondsSince(start) * 1000);
        res.statuses[status]++;
        res.requests++;
      }
    });
  }
  for (auto& t : threads) t.join();
  res.seconds = haloguard::SecondsSince(t0);
  return res;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

nlohmann::json Report(const RunResult& r) {
  nlohmann::json statuses = nlohmann::json::object();
  for (auto& [k, v] : r.statuses) statuses[std::to_string(k)] = v;
  double mean_batch = 0;
  for (int b : r.batch_sizes) mean_batch += b;
  if (!r.batch_sizes.empty()) mean_batch /= static_cast<double>(r.batch_sizes.size());
  return {{"requests", r.requests},
          {"seconds", r.seconds},
          {"throughput_rps", r.requests / r.seconds},
          {"p50_ms", Percentile(r.latencies_ms, 0.5)},
          {"p99_ms", Percentile(r.latencies_ms, 0.99)},
          {"statuses", statuses},
          {"batches", r.batch_sizes.size()},
          {"mean_batch", mean_batch}};
}

std::unique_ptr<GuardServer> StartServer(ServerOptions o, FakeClassifierOptions f,
                                         FakeClassifier** fake) {
  o.http.port = 0;
  auto server = GuardServer::Start(o).value();
  auto c = std::make_unique<FakeClassifier>(f);
  *fake = c.get();
  server->SetClassifier(std::move(c));
  return server;
}

RunResult Batching(int max_batch, int clients, int per_client, FakeClassifierOptions cost) {
  ServerOptions o;
  o.scheduler.max_batch = max_batch;
  o.scheduler.batch_timeout_ms = 2;
  o.scheduler.queue_size = 256;
  FakeClassifier* fake = nullptr;
  auto server = StartServer(o, cost, &fake);
  RunResult r = Drive(server->port(), clients, per_client);
  r.batch_sizes = fake->batch_sizes();
  server->Drain(std::chrono::seconds(5));
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const bool check = argc > 1 && std::strcmp(argv[1], "--check") == 0;
  const FakeClassifierOptions cost{.batch_cost_ms = 10, .item_cost_ms = 0.5};
  const int clients = 32;
  nlohmann::json report;
  report["cost_model"] = {{"batch_cost_ms", cost.batch_cost_ms},
                          {"item_cost_ms", cost.item_cost_ms}};
  report["concurrency"] = clients;

  RunResult one = Batching(1, clients, 8, cost);
  RunResult sixteen = Batching(16, clients, 24, cost);
  report["batch_1"] = Report(one);
  report["batch_16"] = Report(sixteen);
  const double speedup = (sixteen.requests / sixteen.seconds) / (one.requests / one.seconds);
  report["speedup"] = speedup;

  // Overload: 64 clients, a queue of 8 sequences, batches of 4 at 10 ms + 0.5 ms/item.
  ServerOptions o;
  o.scheduler.max_batch = 4;
  o.scheduler.batch_timeout_ms = 1;
  o.scheduler.queue_size = 8;
  o.router.limits.max_inputs = 8;
  FakeClassifier* fake = nullptr;
  auto server = StartServer(o, cost, &fake);
  RunResult overload = Drive(server->port(), 64, 10);
  RunResult after = Drive(server->port(), 2, 20);
  server->Drain(std::chrono::seconds(5));
  report["overload"] = Report(overload);
  report["recovery"] = Report(after);
  std::printf("%s\n", report.dump(2).c_str());

  if (!check) return 0;
  bool ok = true;
  auto fail = [&ok](const char* why) { std::fprintf(stderr, "load test: %s\n", why), ok = false; };
  if (one.statuses[200] != one.requests || sixteen.statuses[200] != sixteen.requests)
    fail("non-200 in batching runs");
  if (speedup < 3.0) fail("batching raised throughput less than 3x over batch size 1");
  if (overload.statuses[429] == 0) fail("overload produced no 429");
  if (overload.statuses[0] != 0) fail("overload produced transport errors (crash or reset)");
  if (after.statuses[200] != after.requests) fail("the server did not recover after overload");
  std::fprintf(stderr, "load test: %s (speedup %.1fx, %d x 429 under overload)\n",
               ok ? "passed" : "FAILED", speedup, overload.statuses[429]);
  return ok ? 0 : 1;
}
