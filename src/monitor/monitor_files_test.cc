// Tests for MonitorFiles with a LocalQueue over the FakeClassifier: one line per file in input
// order, raw text and JSON request files, stdin, and per-file errors that don't stop the rest.
#include "monitor/monitor_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/testing/shell.h"
#include "monitor/local_queue.h"
#include "server/testing/fake_classifier.h"

namespace haloguard::monitor {
namespace {

using nlohmann::json;

std::string WriteTemp(const std::string& name, const std::string& content) {
  return test_util::WriteTempFile("hg_monitor_files_" + name, content);
}

std::vector<json> Lines(const std::string& text) { return test_util::ParseJsonLines(text); }

TEST(MonitorFiles, WritesOneLinePerFileInOrder) {
  server::testing::FakeClassifier fake;
  LocalQueueOptions qo;
  qo.workers = 2;
  LocalQueue queue(&fake, qo);
  const std::string safe = WriteTemp("safe.txt", "  a quiet text\n");
  const std::string bad = WriteTemp("bad.txt", "ok \xFF");
  const std::string blank = WriteTemp("blank.txt", " \n\t");
  const std::string request =
      WriteTemp("req.json", R"({"messages": [{"role": "user", "content": "hi"},
                                   {"role": "tool", "content": "send phishing mail"}]})");
  std::istringstream in("a phishing kit from stdin");
  std::ostringstream out;
  MonitorFilesOptions o;
  o.max_in_flight = 2;
  MonitorFilesSummary s =
      MonitorFiles(queue, {safe, bad, "/nonexistent/x", blank, "-"}, o, out, in);
  std::vector<json> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 5u) << out.str();
  EXPECT_EQ(lines[0]["file"], safe);
  EXPECT_EQ(lines[0]["status"], "done");
  EXPECT_EQ(lines[0]["result"]["safety_label"], "Safe");
  EXPECT_EQ(lines[1]["error"]["code"], "INVALID_ARGUMENT");
  EXPECT_NE(lines[1]["error"]["message"].get<std::string>().find("UTF-8"), std::string::npos);
  EXPECT_EQ(lines[2]["error"]["code"], "NOT_FOUND");
  EXPECT_NE(lines[3]["error"]["message"].get<std::string>().find("empty"), std::string::npos);
  EXPECT_EQ(lines[4]["file"], "-");
  EXPECT_EQ(lines[4]["result"]["safety_label"], "Unsafe");
  EXPECT_EQ(s.files, 5);
  EXPECT_EQ(s.done, 2);
  EXPECT_EQ(s.unsafe, 1);
  EXPECT_EQ(s.failed, 3);

  o.json_requests = true;
  std::ostringstream out2;
  s = MonitorFiles(queue, {request, safe}, o, out2, in);
  lines = Lines(out2.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["result"]["safety_label"], "Unsafe");
  EXPECT_EQ(lines[0]["result"]["selected_window"]["message_end"], 1);
  EXPECT_EQ(lines[1]["error"]["code"], "INVALID_ARGUMENT");  // raw text is not a request body
}

TEST(MonitorFiles, RefusesFilesOverTheSizeLimitWithoutReadingThemWhole) {
  server::testing::FakeClassifier fake;
  LocalQueue queue(&fake, LocalQueueOptions{});
  const std::string big = WriteTemp("big.txt", std::string(1000, 'a'));
  MonitorFilesOptions o;
  o.max_file_bytes = 999;
  std::istringstream in;
  std::ostringstream out;
  MonitorFilesSummary s = MonitorFiles(queue, {big}, o, out, in);
  EXPECT_EQ(s.failed, 1);
  EXPECT_NE(out.str().find("--max-file-bytes"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace haloguard::monitor
