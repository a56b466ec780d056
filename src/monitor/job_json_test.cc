// Tests for job_json.h: every malformed POST body is refused with the field and code it names;
// specs survive their stored form; result and job objects have the documented shape.
#include "monitor/job_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace haloguard::monitor {
namespace {

using nlohmann::json;

struct BadCase {
  std::string body;
  std::string param;
  std::string code;
  std::string says;  // a piece of the message
};

TEST(ParseJobRequest, RefusesBadPayloadsNamingTheField) {
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  const BadCase cases[] = {
      {"", "", "invalid_json", "empty"},
      {"{", "", "invalid_json", "not valid JSON"},
      {"[1]", "", "invalid_json", "expected a JSON object, got array"},
      {"{\"document\": \"\xff\"}", "", "invalid_utf8", "UTF-8"},
      {"{\"document\": " + deep + "}", "", "invalid_json", "at most 32 levels"},
      {"{}", "", "missing_field", "neither"},
      {std::string("{\"document\": \"x\"}\0{", 19), "", "invalid_json", "raw NUL byte"},  // #13
      {R"({"document": "a", "messages": []})", "", "invalid_request", "both"},
      {R"({"document": 5})", "document", "invalid_type", "expected a string, got number"},
      {R"({"document": " \n\t\u3000 "})", "document", "empty_input", "non-whitespace"},
      {R"({"document": "x", "stop_on_unsafe": "yes"})", "stop_on_unsafe", "invalid_type",
       "expected a boolean"},
      {R"({"document": "x", "priority": 3})", "priority", "invalid_value", "got 3"},
      {R"({"document": "x", "priority": "urgent"})", "priority", "invalid_value", "\"urgent\""},
      {R"({"document": "x", "metadata": [1]})", "metadata", "invalid_type", "got array"},
      {R"({"document": "x", "stop-on-unsafe": true})", "stop-on-unsafe", "unknown_field",
       "unknown field"},
      {R"({"messages": {}})", "messages", "invalid_type", "got object"},
      {R"({"messages": []})", "messages", "invalid_type", "empty array"},
      {R"({"messages": ["hi"]})", "messages[0]", "invalid_type", "expected an object"},
      {R"({"messages": [{"content": "hi"}]})", "messages[0].role", "invalid_type", "string"},
      {R"({"messages": [{"role": "user", "content": 7}]})", "messages[0].content", "invalid_type",
       "got number"},
      {R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})",
       "messages[0].content[0]", "invalid_type", "text"},
      {R"({"messages": [{"role": "user", "content": " "}, {"role": "tool", "content": null}]})",
       "messages", "empty_input", "no message has text"},
  };
  for (const BadCase& c : cases) {
    JobSpec spec;
    std::optional<JobError> e = ParseJobRequest(c.body, JobLimits{}, &spec);
    ASSERT_TRUE(e.has_value()) << c.body;
    EXPECT_EQ(e->param, c.param) << c.body;
    EXPECT_EQ(e->code, c.code) << c.body;
    EXPECT_NE(e->message.find(c.says), std::string::npos) << c.body << " -> " << e->message;
  }
}

TEST(ParseJobRequest, LimitsMetadataAndMessageCount) {
  JobLimits limits;
  limits.max_metadata_bytes = 20;
  limits.max_messages = 2;
  JobSpec spec;
  auto e = ParseJobRequest(R"({"document": "x", "metadata": {"k": "0123456789abcdefgh"}})", limits,
                           &spec);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "metadata_too_large");
  e = ParseJobRequest(R"({"messages": [{"role": "a"}, {"role": "b"}, {"role": "c"}]})", limits,
                      &spec);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, "too_many_messages");
}

TEST(ParseJobRequest, ReadsEveryMessageAndOptions) {
  JobSpec spec;
  auto e = ParseJobRequest(R"({"messages": [
      {"role": "system", "content": "be nice"},
      {"role": "assistant", "content": null},
      {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
      "priority": "high", "stop_on_unsafe": true, "metadata": {"tenant": "t1", "n": [1, 2]}})",
                           JobLimits{}, &spec);
  ASSERT_FALSE(e) << e->message;
  ASSERT_TRUE(spec.is_messages);
  ASSERT_EQ(spec.messages.size(), 3u);
  EXPECT_EQ(spec.messages[0].role, "system");
  EXPECT_EQ(spec.messages[1].content, "");
  EXPECT_EQ(spec.messages[2].content, "a\nb");
  EXPECT_EQ(spec.priority, Priority::kHigh);
  EXPECT_TRUE(spec.stop_on_unsafe);
  EXPECT_EQ(json::parse(spec.metadata_json), json::parse(R"({"tenant": "t1", "n": [1, 2]})"));
}

TEST(JobSpecToJson, RoundTripsThroughTheParser) {
  JobSpec a;
  a.document = "line one\n\"quoted\" \xE6\x97\xA5";
  a.priority = Priority::kLow;
  a.metadata_json = R"({"k":1})";
  JobSpec b;
  b.is_messages = true;
  b.messages = {{"user", "hi"}, {"assistant", ""}, {"tool", "x"}};
  b.stop_on_unsafe = true;
  for (const JobSpec& s : {a, b}) {
    JobSpec back;
    auto e = ParseJobRequest(JobSpecToJson(s), JobLimits{}, &back);
    ASSERT_FALSE(e) << e->message;
    EXPECT_EQ(back.is_messages, s.is_messages);
    EXPECT_EQ(back.document, s.document);
    ASSERT_EQ(back.messages.size(), s.messages.size());
    for (size_t i = 0; i < s.messages.size(); ++i) {
      EXPECT_EQ(back.messages[i].role, s.messages[i].role);
      EXPECT_EQ(back.messages[i].content, s.messages[i].content);
    }
    EXPECT_EQ(back.stop_on_unsafe, s.stop_on_unsafe);
    EXPECT_EQ(back.priority, s.priority);
    EXPECT_EQ(back.metadata_json, s.metadata_json);
  }
}

JobResult SampleResult() {
  JobResult r;
  r.unsafe = true;
  r.p_unsafe = 0.97;
  r.category = "fraud_and_social_engineering";
  r.action = "block";
  r.category_scores = {{"violence", 0.25}, {"fraud_and_social_engineering", 0.75}};
  r.window_count = 5;
  r.windows_scored = 2;
  r.stopped_early = true;
  r.selected_window = 1;
  r.windows = {{0, 0, 10, {0, 40, 0, 38}, 0.1, false, "none"},
               {1, 4, 14, {17, 60, 15, 58}, 0.97, true, "fraud_and_social_engineering"}};
  r.input_tokens = 30;
  r.input_bytes = 130;
  r.input_chars = 120;
  r.message_begin = 0;
  r.message_end = 1;
  return r;
}

TEST(JobResultToJson, HasTheDocumentedFields) {
  const json j = json::parse(JobResultToJson(SampleResult()));
  EXPECT_EQ(j["status"], "HARMFUL");
  EXPECT_EQ(j["safety_label"], "Unsafe");
  EXPECT_EQ(j["category"], "fraud_and_social_engineering");
  EXPECT_EQ(j["window_count"], 5);
  EXPECT_EQ(j["windows_scored"], 2);
  EXPECT_EQ(j["stopped_early"], true);
  EXPECT_EQ(j["selected_window_index"], 1);
  EXPECT_EQ(j["selected_window"]["char_start"], 15);
  EXPECT_EQ(j["selected_window"]["char_end"], 58);
  EXPECT_EQ(j["selected_window"]["byte_start"], 17);
  EXPECT_EQ(j["selected_window"]["token_start"], 4);
  EXPECT_EQ(j["selected_window"]["message_start"], 0);
  EXPECT_EQ(j["selected_window"]["message_end"], 1);
  EXPECT_EQ(j["window_risk_scores"], json::parse("[0.1, 0.97]"));
  EXPECT_EQ(j["windows"].size(), 2u);
  EXPECT_EQ(j["category_scores"]["fraud_and_social_engineering"], 0.75);
  EXPECT_EQ(j["input"]["offsets"], "unicode_code_points");
  EXPECT_EQ(j["input"]["chars"], 120);
}

TEST(JobInfoToJson, SplicesTheStoredResultAndShowsProgress) {
  JobInfo info;
  info.id = NewJobId();
  info.state = JobState::kRunning;
  info.windows_done = 3;
  info.windows_total = 10;
  info.metadata_json = R"({"a":"b"})";
  json j = json::parse(JobInfoToJson(info));
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["object"], "monitor.job");
  EXPECT_EQ(j["progress"]["windows_done"], 3);
  EXPECT_EQ(j["progress"]["windows_total"], 10);
  EXPECT_EQ(j["metadata"]["a"], "b");
  EXPECT_TRUE(j["result"].is_null());
  EXPECT_TRUE(j["error"].is_null());

  info.state = JobState::kDone;
  info.result_json = JobResultToJson(SampleResult());
  j = json::parse(JobInfoToJson(info));
  EXPECT_EQ(j["result"]["selected_window_index"], 1);

  info.result_json = "{\"truncated";  // a damaged stored value never breaks the response
  j = json::parse(JobInfoToJson(info));
  EXPECT_TRUE(j["result"].is_null());

  info.state = JobState::kFailed;
  info.error = "monitor: input tokenizes to no tokens; expected at least one";
  info.error_code = "invalid_input";
  j = json::parse(JobInfoToJson(info));
  EXPECT_EQ(j["error"]["code"], "invalid_input");
}

TEST(JobIds, AreRecognisedAndDistinct) {
  const std::string a = NewJobId(), b = NewJobId();
  EXPECT_NE(a, b);
  EXPECT_TRUE(IsJobId(a));
  EXPECT_FALSE(IsJobId("mon-"));
  EXPECT_FALSE(IsJobId(a + "0"));
  EXPECT_FALSE(IsJobId("../" + a.substr(3)));
  std::string upper = a;
  upper[5] = 'G';
  EXPECT_FALSE(IsJobId(upper));
}

}  // namespace
}  // namespace haloguard::monitor
