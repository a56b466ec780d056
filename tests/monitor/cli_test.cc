// `haloguard monitor` and `haloguard worker` as processes: the Redis path of `monitor` end to end
// (an in-process RedisWorker runs the jobs; no model is loaded), exit codes, and the option
// checks that `worker` makes before it loads a model.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "monitor/redis_worker.h"
#include "monitor/testing/redis_server.h"
#include "monitor_test_util.h"

namespace haloguard::monitor {
namespace {

using nlohmann::json;

struct CliRun {
  int code = -1;
  std::string out;
};

// Runs `haloguard ARGS` through the shell (stderr discarded); exit code and stdout.
CliRun Haloguard(const std::string& args) {
  CliRun r;
  FILE* p = popen((std::string(HG_HALOGUARD) + " " + args + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), p)) > 0;) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/hg_monitor_cli_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::vector<json> Lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

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

  CliRun r = Haloguard("monitor " + q + unsafe + " " + safe);
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
