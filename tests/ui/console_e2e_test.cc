// The web console in headless Chromium (tests/ui/console_e2e.mjs via npm playwright-core) against
// `haloguard serve` on the tiny checkpoint with small windows; skips, saying why, without chromium
// or playwright-core. Screenshots go to the build dir (HG_UI_ARTIFACTS).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "core/testing/shell.h"
#include "server/testing/http_client.h"

namespace haloguard {
namespace {

const std::string kSrc = HG_SOURCE_DIR;
const std::string kKey = "console-e2e-key-0001";

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

TEST(ConsoleE2E, PlaygroundLiveAndSettingsInHeadlessChromium) {
  if (!std::filesystem::exists("/usr/bin/chromium")) GTEST_SKIP() << "no /usr/bin/chromium (scripts/setup.sh installs it)";
  if (!std::filesystem::exists(kSrc + "/tools/oracles/node_modules/playwright-core")) {
    GTEST_SKIP() << "no npm playwright-core (run scripts/oracles.sh)";
  }
  const int port = FreePort();
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string p = std::to_string(port), model = kSrc + "/tests/data/tiny_qwen35";
    execl(HG_BINARY, HG_BINARY, "serve", "--model", model.c_str(), "--port", p.c_str(), "--api-key",
          kKey.c_str(), "--offline", "--threads", "2", "--window-length", "64", "--window-stride",
          "32", static_cast<char*>(nullptr));
    _exit(127);
  }
  auto ready = [&] {
    auto r = server::testing::HttpRequestOnce(port, "GET", "/readyz", "",
                                              {"Authorization: Bearer " + kKey}, 1000);
    return r.ok() && r->status == 200;
  };
  for (int i = 0; i < 600 && !ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(ready()) << "server did not become ready";
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
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_NE(r.out.find("all checks passed"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(out + "/console.png"));
}

TEST(ConsoleE2E, NoUiTurnsThePageOff) {
  const int port = FreePort();
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string p = std::to_string(port), model = kSrc + "/tests/data/tiny_qwen35";
    execl(HG_BINARY, HG_BINARY, "serve", "--model", model.c_str(), "--port", p.c_str(), "--offline",
          "--threads", "1", "--no-ui", static_cast<char*>(nullptr));
    _exit(127);
  }
  auto ready = [&] {
    auto r = server::testing::HttpRequestOnce(port, "GET", "/readyz", "", {}, 1000);
    return r.ok() && r->status == 200;
  };
  for (int i = 0; i < 600 && !ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(ready());
  auto page = server::testing::HttpRequestOnce(port, "GET", "/", "", {}, 2000);
  auto js = server::testing::HttpRequestOnce(port, "GET", "/ui/app.js", "", {}, 2000);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  ASSERT_TRUE(page.ok() && js.ok());
  EXPECT_EQ(page->status, 404);
  EXPECT_EQ(js->status, 404);
}

}  // namespace
}  // namespace haloguard
