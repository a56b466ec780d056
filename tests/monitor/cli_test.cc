// `haloguard monitor` and `haloguard worker` as processes: the Redis path of `monitor` end to end
// (an in-process RedisWorker runs the jobs; no model is loaded), exit codes, and the option
// checks that `worker` makes before it loads a model.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/testing/shell.h"
#include "monitor/redis_worker.h"
#include "monitor/testing/redis_server.h"
#include "monitor_test_util.h"

namespace haloguard::monitor {
namespace {

using nlohmann::json;

// Runs `haloguard ARGS` through the shell (stderr discarded); exit code and stdout.
test_util::ShellResult Haloguard(const std::string& args) {
  return test_util::RunShell(std::string(HG_BINARY) + " " + args + " 2>/dev/null");
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  return test_util::WriteTempFile("hg_monitor_cli_" + name, content);
}

std::vector<json> Lines(const std::string& text) { return test_util::ParseJsonLines(text); }

TEST(MonitorCli, SubmitsFilesToRedisAndPrintsOneLineEach) {
  auto redis = testing::RedisServer::Start(false);
  ASSERT_TRUE(redis.ok()) << redis.status().message();
  server::testing::FakeClassifier fake;
  RedisWorkerOptions w;
  w.queue.url = (*redis)->url();
  w.block_ms = 50;
  auto worker = RedisWorker::Start(&fake, w);
  ASSERT_TRUE(worker.ok());
  const std::string doc = testing::Words(3000, 2000);
  const std::string unsafe = WriteTemp("unsafe.txt", doc);
  const std::string safe = WriteTemp("safe.txt", "nothing to see");
  const std::string q = "--queue " + (*redis)->url() + " ";

  test_util::ShellResult r = Haloguard("monitor " + q + unsafe + " " + safe);
  ASSERT_EQ(r.code, 0) << r.out;
  std::vector<json> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["file"], unsafe);
  EXPECT_EQ(lines[0]["result"],
            json::parse(testing::ExpectedResultJson(testing::DocumentSpec(doc))));
  EXPECT_EQ(lines[1]["result"]["safety_label"], "Safe");

  EXPECT_EQ(Haloguard("monitor --fail-on-unsafe " + q + unsafe).code, 1);
  EXPECT_EQ(Haloguard("monitor --fail-on-unsafe " + q + safe).code, 0);
  r = Haloguard("monitor " + q + safe + " /nonexistent/file");
  EXPECT_EQ(r.code, 3);
  ASSERT_EQ(Lines(r.out).size(), 2u);
  EXPECT_EQ(Lines(r.out)[1]["error"]["code"], "NOT_FOUND");
  r = Haloguard("monitor --stop-on-unsafe --priority high " + q + unsafe);
  EXPECT_TRUE(Lines(r.out)[0]["result"]["stopped_early"]);
  EXPECT_EQ(Lines(r.out)[0]["priority"], "high");
}

TEST(MonitorCli, RefusesBadOptionsBeforeLoadingAnything) {
  EXPECT_EQ(Haloguard("monitor").code, 2);
  EXPECT_EQ(Haloguard("monitor --model m --queue redis://h:1 f").code, 2);  // both
  EXPECT_EQ(Haloguard("monitor --queue redis://h:1 --priority urgent f").code, 2);
  EXPECT_EQ(Haloguard("monitor --queue http://h:1 f").code, 2);
  EXPECT_EQ(Haloguard("worker").code, 2);
  EXPECT_EQ(
      Haloguard("worker --queue redis://127.0.0.1:1 --model m --visibility-timeout-ms 50").code, 2);
  EXPECT_EQ(Haloguard("worker --queue redis://127.0.0.1:1 --model m --heartbeat-ms 70000").code, 2);
  EXPECT_EQ(Haloguard("worker --queue nope --model m").code, 2);
  EXPECT_EQ(Haloguard("serve --model m --queue redis:/x").code, 2);
  EXPECT_EQ(Haloguard("serve --model m --monitor-workers 0").code, 2);
}

}  // namespace
}  // namespace haloguard::monitor
