// /v1/monitor/jobs over loopback HTTP against an in-process GuardServer with the FakeClassifier:
// the embedded lane (202, polling to the oracle's result, cancel, limits, errors, auth, metrics)
// and the Redis lane (the server stores jobs, an in-process RedisWorker runs them).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "monitor/redis_worker.h"
#include "monitor/testing/redis_server.h"
#include "monitor_test_util.h"
#include "server/server.h"
#include "server/testing/http_client.h"
#include "server/testing/prom_check.h"

namespace haloguard::monitor {
namespace {

using nlohmann::json;
using server::GuardServer;
using server::ServerOptions;
using server::testing::ClientResponse;
using server::testing::FakeClassifier;
using server::testing::HttpRequestOnce;
using testing::ExpectedResultJson;
using testing::WaitFor;
using testing::Words;

const std::string kKey = "monitor-test-key-01";

struct Server {
  explicit Server(ServerOptions o = {}, server::testing::FakeClassifierOptions f = {}) {
    o.http.port = 0;
    auto s = GuardServer::Start(o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    server = std::move(*s);
    server->SetClassifier(std::make_unique<FakeClassifier>(f));
  }
  ClientResponse Call(const std::string& method, const std::string& path,
                      const std::string& body = "", std::vector<std::string> headers = {}) {
    auto r = HttpRequestOnce(server->port(), method, path, body, headers, 10000);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : ClientResponse{};
  }
  json Poll(const std::string& id, int timeout_ms = 10000) {
    json last;
    WaitFor(
        [&] {
          last = json::parse(Call("GET", "/v1/monitor/jobs/" + id).body);
          const std::string s = last.value("status", "");
          return s == "done" || s == "failed" || s == "cancelled";
        },
        timeout_ms);
    return last;
  }
  std::unique_ptr<GuardServer> server;
};

std::string Body(const json& j) { return j.dump(); }

void ExpectError(const ClientResponse& r, int status, const std::string& code,
                 const std::string& param = "") {
  EXPECT_EQ(r.status, status) << r.body;
  const json j = json::parse(r.body);
  ASSERT_TRUE(j.contains("error")) << r.body;
  EXPECT_EQ(j["error"]["code"], code) << r.body;
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  if (param.empty()) {
    EXPECT_TRUE(j["error"]["param"].is_null()) << r.body;
  } else {
    EXPECT_EQ(j["error"]["param"], param) << r.body;
  }
}

TEST(MonitorHttp, DocumentJobAnswers202ThenTheWindowedVerdict) {
  Server s;
  const std::string doc = Words(3000, 1700);
  ClientResponse r = s.Call("POST", "/v1/monitor/jobs",
                            Body({{"document", doc}, {"metadata", {{"tenant", "t1"}}}}));
  ASSERT_EQ(r.status, 202) << r.body;
  const json job = json::parse(r.body);
  EXPECT_EQ(job["object"], "monitor.job");
  EXPECT_TRUE(job["status"] == "queued" || job["status"] == "running");
  EXPECT_EQ(r.headers["location"], "/v1/monitor/jobs/" + job["id"].get<std::string>());
  const json done = s.Poll(job["id"]);
  ASSERT_EQ(done["status"], "done") << done.dump();
  EXPECT_EQ(done["result"], json::parse(ExpectedResultJson(testing::DocumentSpec(doc))));
  EXPECT_EQ(done["result"]["safety_label"], "Unsafe");
  EXPECT_EQ(done["progress"]["windows_done"], done["progress"]["windows_total"]);
  EXPECT_EQ(done["metadata"]["tenant"], "t1");
  EXPECT_EQ(done["attempts"], 1);
}

TEST(MonitorHttp, MessagesJobMonitorsEveryMessageAndCanStopEarly) {
  Server s;
  const json body = {{"messages",
                      {{{"role", "system"}, {"content", Words(900)}},
                       {{"role", "user"}, {"content", "harmless"}},
                       {{"role", "assistant"}, {"content", Words(900, 100)}},
                       {{"role", "user"}, {"content", Words(1500)}}}},
                     {"stop_on_unsafe", true},
                     {"priority", "high"}};
  ClientResponse r = s.Call("POST", "/v1/monitor/jobs", Body(body));
  ASSERT_EQ(r.status, 202) << r.body;
  const json done = s.Poll(json::parse(r.body)["id"]);
  ASSERT_EQ(done["status"], "done");
  const json& res = done["result"];
  EXPECT_EQ(res["safety_label"], "Unsafe");  // the marker sits in an earlier message
  EXPECT_TRUE(res["stopped_early"]);
  EXPECT_LT(res["windows_scored"], res["window_count"]);
  EXPECT_EQ(res["selected_window"]["message_start"], 0);
  EXPECT_EQ(res["selected_window"]["message_end"], 2);
  EXPECT_EQ(done["priority"], "high");
}

TEST(MonitorHttp, BadRequestsAreRefusedWithTheFieldAndCode) {
  ServerOptions o;
  o.monitor.max_body_bytes = 4 << 20;
  Server s(o);
  ExpectError(s.Call("POST", "/v1/monitor/jobs", "{\"document\": 1}"), 400, "invalid_type",
              "document");
  ExpectError(s.Call("POST", "/v1/monitor/jobs", "{\"documnet\": \"x\"}"), 400, "unknown_field",
              "documnet");
  ExpectError(s.Call("POST", "/v1/monitor/jobs", "{\"document\": \"  \"}"), 400, "empty_input",
              "document");
  ExpectError(s.Call("POST", "/v1/monitor/jobs", "not json"), 400, "invalid_json");
  // The monitor's own body limit: 2 MiB documents pass here while /v1/classify keeps 1 MiB.
  const std::string big = Body({{"document", std::string(2 << 20, 'a')}});
  EXPECT_EQ(s.Call("POST", "/v1/monitor/jobs", big).status, 202);
  EXPECT_EQ(s.Call("POST", "/v1/classify", Body({{"query", std::string(2 << 20, 'a')}})).status,
            413);
  {  // refused from the headers alone, before any of the body is read
    auto conn = server::testing::TestConnection::Connect(s.server->port());
    ASSERT_TRUE(conn.ok());
    conn->Send("POST /v1/monitor/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: " +
               std::to_string((4 << 20) + 1) + "\r\n\r\n");
    auto r = conn->Read(5000);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ExpectError(*r, 413, "payload_too_large");
  }
  // Ids and methods.
  ExpectError(s.Call("GET", "/v1/monitor/jobs/" + NewJobId()), 404, "job_not_found");
  ExpectError(s.Call("GET", "/v1/monitor/jobs/not-an-id"), 404, "job_not_found");
  ExpectError(s.Call("GET", "/v1/monitor/jobs/a/b"), 404, "not_found");
  ClientResponse put = s.Call("PUT", "/v1/monitor/jobs/" + NewJobId(), "{}");
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.headers["allow"], "GET, HEAD, DELETE");
  // The collection: POST submits, GET lists (the console's job list); nothing else.
  EXPECT_EQ(s.Call("GET", "/v1/monitor/jobs").status, 200);
  EXPECT_EQ(s.Call("PUT", "/v1/monitor/jobs", "{}").status, 405);
}

TEST(MonitorHttp, DeleteCancelsAndFinishedJobsCannotBeCancelled) {
  Server s({}, {.item_cost_ms = 15});
  const json job = json::parse(
      s.Call("POST", "/v1/monitor/jobs", Body({{"document", Words(6000)}})).body);  // 20 windows
  const std::string path = "/v1/monitor/jobs/" + job["id"].get<std::string>();
  ASSERT_TRUE(
      WaitFor([&] { return json::parse(s.Call("GET", path).body)["status"] == "running"; }, 5000));
  ClientResponse del = s.Call("DELETE", path);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(json::parse(del.body)["status"], "cancelled");
  const json after = s.Poll(job["id"]);
  EXPECT_EQ(after["status"], "cancelled");
  EXPECT_TRUE(after["result"].is_null());

  const json quick =
      json::parse(s.Call("POST", "/v1/monitor/jobs", Body({{"document", "short"}})).body);
  ASSERT_EQ(s.Poll(quick["id"])["status"], "done");
  ExpectError(s.Call("DELETE", "/v1/monitor/jobs/" + quick["id"].get<std::string>()), 409,
              "job_finished");
}

TEST(MonitorHttp, FullQueueAnswers429) {
  ServerOptions o;
  o.monitor.local.max_queued_jobs = 1;
  Server s(o, {.item_cost_ms = 20});
  const std::string long_doc = Body({{"document", Words(6000)}});
  ASSERT_EQ(s.Call("POST", "/v1/monitor/jobs", long_doc).status, 202);  // taken by the worker
  ASSERT_TRUE(WaitFor(
      [&] {
        return server::testing::PrometheusSamples(
                   s.Call("GET", "/metrics").body)["haloguard_monitor_jobs{state=\"running\"}"] ==
               1;
      },
      5000));
  ASSERT_EQ(s.Call("POST", "/v1/monitor/jobs", long_doc).status, 202);  // waits
  ClientResponse full = s.Call("POST", "/v1/monitor/jobs", long_doc);
  ExpectError(full, 429, "queue_full");
  EXPECT_EQ(full.headers["retry-after"], "1");
}

TEST(MonitorHttp, RoutesNeedTheApiKey) {
  ServerOptions o;
  o.api_keys = {kKey};
  Server s(o);
  ExpectError(s.Call("POST", "/v1/monitor/jobs", Body({{"document", "x"}})), 401,
              "invalid_api_key");
  ExpectError(s.Call("GET", "/v1/monitor/jobs/" + NewJobId()), 401, "invalid_api_key");
  EXPECT_EQ(s.Call("POST", "/v1/monitor/jobs", Body({{"document", "x"}}),
                   {"Authorization: Bearer " + kKey})
                .status,
            202);
}

TEST(MonitorHttp, MetricsCountJobsByStateAndWindows) {
  Server s;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(json::parse(
        s.Call("POST", "/v1/monitor/jobs", Body({{"document", Words(1500 + i)}})).body)["id"]);
  }
  for (const std::string& id : ids) ASSERT_EQ(s.Poll(id)["status"], "done");
  const std::string text = s.Call("GET", "/metrics").body;
  ASSERT_TRUE(server::testing::CheckPrometheusText(text).ok()) << text;
  auto m = server::testing::PrometheusSamples(text);
  EXPECT_EQ(m["haloguard_monitor_jobs_total{state=\"submitted\"}"], 3);
  EXPECT_EQ(m["haloguard_monitor_jobs_total{state=\"done\"}"], 3);
  EXPECT_EQ(m["haloguard_monitor_windows_total"], 9);  // 1500..1502 tokens: windows at 0, 256, 512
  EXPECT_EQ(m["haloguard_monitor_queue_depth"], 0);
  EXPECT_EQ(m["haloguard_monitor_queue_up"], 1);
  // A second scrape does not count the same jobs again.
  m = server::testing::PrometheusSamples(s.Call("GET", "/metrics").body);
  EXPECT_EQ(m["haloguard_monitor_jobs_total{state=\"done\"}"], 3);
  EXPECT_GE(m["haloguard_http_requests_total{route=\"/v1/monitor/jobs/{id}\",code=\"200\"}"], 3);
  EXPECT_EQ(m["haloguard_http_requests_total{route=\"/v1/monitor/jobs\",code=\"202\"}"], 3);
}

TEST(MonitorHttp, NewJobsWaitForTheModel) {
  ServerOptions o;
  o.http.port = 0;
  auto s = GuardServer::Start(o);
  ASSERT_TRUE(s.ok());
  auto r = HttpRequestOnce((*s)->port(), "POST", "/v1/monitor/jobs", Body({{"document", "x"}}));
  ASSERT_TRUE(r.ok());
  ExpectError(*r, 503, "model_loading");
}

TEST(MonitorHttp, RedisLaneStoresJobsForWorkers) {
  auto redis = testing::RedisServer::Start(false);
  ASSERT_TRUE(redis.ok()) << redis.status().message();
  ServerOptions o;
  o.monitor.queue = (*redis)->url();
  Server s(o);
  const std::string doc = Words(2000, 1999);
  const json job = json::parse(s.Call("POST", "/v1/monitor/jobs", Body({{"document", doc}})).body);
  ASSERT_EQ(job["status"], "queued");
  EXPECT_EQ(
      json::parse(s.Call("GET", "/v1/monitor/jobs/" + job["id"].get<std::string>()).body)["status"],
      "queued");  // no worker yet: the server itself never runs Redis jobs
  FakeClassifier fake;
  RedisWorkerOptions w;
  w.queue.url = (*redis)->url();
  w.block_ms = 100;
  auto worker = RedisWorker::Start(&fake, w);
  ASSERT_TRUE(worker.ok());
  const json done = s.Poll(job["id"]);
  ASSERT_EQ(done["status"], "done");
  EXPECT_EQ(done["result"], json::parse(ExpectedResultJson(testing::DocumentSpec(doc))));
  auto m = server::testing::PrometheusSamples(s.Call("GET", "/metrics").body);
  EXPECT_EQ(m["haloguard_monitor_queue_up"], 1);
  EXPECT_EQ(m["haloguard_monitor_jobs_total{state=\"done\"}"], 1);
  (*redis)->Kill();
  ExpectError(s.Call("GET", "/v1/monitor/jobs/" + job["id"].get<std::string>()), 503,
              "monitor_unavailable");
  m = server::testing::PrometheusSamples(s.Call("GET", "/metrics").body);
  EXPECT_EQ(m["haloguard_monitor_queue_up"], 0);
}

TEST(MonitorHttp, ServerWithAnUnreachableRedisDoesNotStart) {
  ServerOptions o;
  o.http.port = 0;
  o.monitor.queue = "redis://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
  o.monitor.redis.connect_timeout_ms = 200;
  auto s = GuardServer::Start(o);
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  o.monitor.queue = "redis:/nope";
  EXPECT_EQ(GuardServer::Start(o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace haloguard::monitor
