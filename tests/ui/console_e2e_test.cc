// The web console in headless Chromium (tests/ui/console_e2e.mjs via npm playwright-core) against
// `haloguard serve` on the tiny checkpoint with small windows; skips, saying why, without chromium
// or playwright-core. Screenshots go to the build dir (HG_UI_ARTIFACTS).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/testing/shell.h"
#include "server/testing/http_client.h"

namespace haloguard {
namespace {

const std::string kSrc = HG_SOURCE_DIR;
const std::string kKey = "console-e2e-key-0001";

void Stop(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

// `haloguard serve` on the tiny checkpoint at `port` with `extra` flags; waits until /readyz is
// 200 (with `key` when given). Returns the child's pid (the test kills it), -1 if never ready.
pid_t StartServe(int port, std::vector<std::string> extra, const std::string& key) {
  std::vector<std::string> args = {HG_BINARY, "serve", "--model", kSrc + "/tests/data/tiny_qwen35",
                                   "--port", std::to_string(port), "--offline"};
  args.insert(args.end(), extra.begin(), extra.end());
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(HG_BINARY, argv.data());
    _exit(127);
  }
  const std::vector<std::string> headers =
      key.empty() ? std::vector<std::string>{} : std::vector<std::string>{"Authorization: Bearer " + key};
  for (int i = 0; i < 600; ++i) {
    auto r = server::testing::HttpRequestOnce(port, "GET", "/readyz", "", headers, 1000);
    if (r.ok() && r->status == 200) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Stop(pid);
  return -1;
}

TEST(ConsoleE2E, PlaygroundLiveAndSettingsInHeadlessChromium) {
  if (!std::filesystem::exists("/usr/bin/chromium")) GTEST_SKIP() << "no /usr/bin/chromium (scripts/setup.sh installs it)";
  if (!std::filesystem::exists(kSrc + "/tools/oracles/node_modules/playwright-core")) {
    GTEST_SKIP() << "no npm playwright-core (run scripts/oracles.sh)";
  }
  if (test_util::RunShell("node -e 'process.exit(parseInt(process.versions.node) >= 20 ? 0 : 1)'").code != 0) {
    GTEST_SKIP() << "playwright-core 1.65 needs Node.js >= 20; this node is older or missing";
  }
  const int port = server::testing::FreeLoopbackPort();
  const pid_t pid = StartServe(port,
                               {"--api-key", kKey, "--threads", "2", "--window-length", "64",
                                "--window-stride", "32"},
                               kKey);
  ASSERT_GT(pid, 0) << "server did not become ready";
  // The page itself needs no key; the API behind it does.
  auto page = server::testing::HttpRequestOnce(port, "GET", "/", "", {}, 2000);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->status, 200);
  auto stats = server::testing::HttpRequestOnce(port, "GET", "/v1/stats", "", {}, 2000);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->status, 401);

  const std::string out = HG_UI_ARTIFACTS;
  std::filesystem::create_directories(out);
  const auto r = test_util::RunShell("node " + kSrc + "/tests/ui/console_e2e.mjs http://127.0.0.1:" +
                                     std::to_string(port) + " " + kKey + " " + out + " 2>&1");
  Stop(pid);
  EXPECT_NE(r.out.find("all checks passed"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(out + "/console.png"));
}

TEST(ConsoleE2E, NoUiTurnsThePageOff) {
  const int port = server::testing::FreeLoopbackPort();
  const pid_t pid = StartServe(port, {"--threads", "1", "--no-ui"}, "");
  ASSERT_GT(pid, 0) << "server did not become ready";
  auto page = server::testing::HttpRequestOnce(port, "GET", "/", "", {}, 2000);
  auto js = server::testing::HttpRequestOnce(port, "GET", "/ui/app.js", "", {}, 2000);
  Stop(pid);
  ASSERT_TRUE(page.ok() && js.ok());
  EXPECT_EQ(page->status, 404);
  EXPECT_EQ(js->status, 404);
}

}  // namespace
}  // namespace haloguard
