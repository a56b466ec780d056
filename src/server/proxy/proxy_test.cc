// Guard proxy pieces without sockets: what ExtractProxyPrompt judges per route and turn mode,
// the Azure content-filter and refusal shapes, verdict headers, option parsing and validation.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/proxy/block_response.h"
#include "server/proxy/prompt.h"
#include "server/proxy/proxy_options.h"

namespace haloguard::server::proxy {
namespace {

using nlohmann::json;

std::vector<std::string> Texts(const std::string& body, ProxyRoute route,
                               ClassifyTurns turns = ClassifyTurns::kLast) {
  ProxyPrompt p;
  const auto e = ExtractProxyPrompt(body, route, turns, ApiLimits{}, &p);
  EXPECT_FALSE(e.has_value()) << (e ? e->message : "");
  return p.texts;
}

std::string ErrorOf(const std::string& body, ProxyRoute route, ApiLimits limits = {}) {
  ProxyPrompt p;
  const auto e = ExtractProxyPrompt(body, route, ClassifyTurns::kAll, limits, &p);
  EXPECT_TRUE(e.has_value());
  if (!e) return "";
  EXPECT_EQ(e->status, 400);
  return e->message;
}

const char* kChat = R"({"model":"m","stream":true,"messages":[
  {"role":"system","content":"be nice"},
  {"role":"user","content":"first turn"},
  {"role":"assistant","content":"ok"},
  {"role":"user","content":[{"type":"text","text":"last"},{"type":"image_url","image_url":{"url":"u"}},
                            {"type":"text","text":"turn"}]},
  {"role":"user","content":"   "}]})";

TEST(ExtractProxyPrompt, ChatLastAndAllUserTurns) {
  EXPECT_EQ(Texts(kChat, ProxyRoute::kChat), std::vector<std::string>{"last\nturn"});
  EXPECT_EQ(Texts(kChat, ProxyRoute::kChat, ClassifyTurns::kAll),
            (std::vector<std::string>{"first turn", "last\nturn"}));
  ProxyPrompt p;
  ASSERT_FALSE(ExtractProxyPrompt(kChat, ProxyRoute::kChat, ClassifyTurns::kLast, {}, &p));
  EXPECT_EQ(p.model, "m");
  EXPECT_TRUE(p.stream);
}

TEST(ExtractProxyPrompt, NoUserTextIsEmptyNotAnError) {
  EXPECT_TRUE(
      Texts(R"({"messages":[{"role":"system","content":"s"}]})", ProxyRoute::kChat).empty());
  EXPECT_TRUE(Texts(R"({"model":"m"})", ProxyRoute::kResponses).empty());
}

TEST(ExtractProxyPrompt, CompletionsJudgeEveryPrompt) {
  EXPECT_EQ(Texts(R"({"prompt":["a","b"]})", ProxyRoute::kCompletions),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Texts(R"({"prompt":"one"})", ProxyRoute::kCompletions),
            std::vector<std::string>{"one"});
  EXPECT_NE(ErrorOf(R"({"prompt":[1,2,3]})", ProxyRoute::kCompletions).find("token-id"),
            std::string::npos);
}

TEST(ExtractProxyPrompt, ResponsesInputStringOrUserItems) {
  EXPECT_EQ(Texts(R"({"input":"hello"})", ProxyRoute::kResponses),
            std::vector<std::string>{"hello"});
  EXPECT_EQ(Texts(R"({"input":[{"role":"user","content":[{"type":"input_text","text":"q1"}]},
                               {"type":"function_call_output","call_id":"c","output":"x"},
                               {"type":"message","role":"user","content":"q2"}]})",
                  ProxyRoute::kResponses, ClassifyTurns::kAll),
            (std::vector<std::string>{"q1", "q2"}));
}

TEST(ExtractProxyPrompt, MalformedFieldsAre400s) {
  EXPECT_NE(ErrorOf("not json", ProxyRoute::kChat), "");
  EXPECT_NE(ErrorOf(R"({"model":"m"})", ProxyRoute::kChat).find("messages"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"messages":"hi"})", ProxyRoute::kChat).find("expected an array"),
            std::string::npos);
  EXPECT_NE(ErrorOf(R"({"messages":[{"role":"user","content":5}]})", ProxyRoute::kChat)
                .find("messages[0].content"),
            std::string::npos);
  ApiLimits small;
  small.max_input_bytes = 4;
  EXPECT_NE(
      ErrorOf(R"({"messages":[{"role":"user","content":"too long"}]})", ProxyRoute::kChat, small),
      "");
  ApiLimits few;
  few.max_inputs = 1;
  EXPECT_NE(ErrorOf(R"({"prompt":["a","b"]})", ProxyRoute::kCompletions, few).find("--max-inputs"),
            std::string::npos);
}

guard::GuardResult Unsafe(const std::string& category, double p) {
  guard::GuardResult r;
  r.safety_label = "Unsafe";
  r.category = category;
  r.p_unsafe = p;
  r.action = "block";
  r.attack_overlay = "none";
  return r;
}

TEST(BlockResponse, AzureContentFilterShape) {
  HttpResponse r = ContentFilterError(Unsafe("self_harm_and_suicide", 0.8));
  EXPECT_EQ(r.status, 400);
  const json e = json::parse(r.body)["error"];
  EXPECT_EQ(e["code"], "content_filter");
  EXPECT_EQ(e["param"], "prompt");
  EXPECT_EQ(e["status"], 400);
  EXPECT_TRUE(e["type"].is_null());
  const json& f = e["innererror"]["content_filter_result"];
  EXPECT_EQ(e["innererror"]["code"], "ResponsibleAIPolicyViolation");
  EXPECT_EQ(f["self_harm"], json({{"filtered", true}, {"severity", "medium"}}));
  for (const char* k : {"hate", "sexual", "violence"})
    EXPECT_EQ(f[k], json({{"filtered", false}, {"severity", "safe"}})) << k;
  EXPECT_EQ(f["haloguard"]["category"], "self_harm_and_suicide");
  EXPECT_DOUBLE_EQ(f["haloguard"]["p_unsafe"].get<double>(), 0.8);
  // A category outside Azure's four filters only under "haloguard".
  const json g = json::parse(ContentFilterError(Unsafe("privacy_violations", 0.95)).body);
  for (const char* k : {"hate", "sexual", "violence", "self_harm"})
    EXPECT_FALSE(g["error"]["innererror"]["content_filter_result"][k]["filtered"].get<bool>());
}

TEST(BlockResponse, RefusalShapes) {
  const json chat = json::parse(Refusal(ProxyRoute::kChat, "m", "no", false).body);
  EXPECT_EQ(chat["object"], "chat.completion");
  EXPECT_EQ(chat["choices"][0]["message"]["content"], "no");
  EXPECT_EQ(chat["choices"][0]["finish_reason"], "content_filter");
  HttpResponse s = Refusal(ProxyRoute::kChat, "m", "no", true);
  EXPECT_EQ(s.content_type.rfind("text/event-stream", 0), 0u);
  const size_t end = s.body.find("\n\n");
  const json chunk = json::parse(s.body.substr(6, end - 6));
  EXPECT_EQ(chunk["object"], "chat.completion.chunk");
  EXPECT_EQ(chunk["choices"][0]["delta"]["content"], "no");
  EXPECT_EQ(s.body.substr(end + 2), "data: [DONE]\n\n");
  const json cmpl = json::parse(Refusal(ProxyRoute::kCompletions, "m", "no", false).body);
  EXPECT_EQ(cmpl["object"], "text_completion");
  EXPECT_EQ(cmpl["choices"][0]["finish_reason"], "content_filter");
  const json resp = json::parse(Refusal(ProxyRoute::kResponses, "m", "no", false).body);
  EXPECT_EQ(resp["object"], "response");
  EXPECT_EQ(resp["incomplete_details"]["reason"], "content_filter");
  EXPECT_EQ(resp["output"][0]["content"][0]["text"], "no");
  EXPECT_FALSE(resp.contains("output_text"));  // an SDK-derived property, not the API's
  // Streamed: the API's event sequence, each "event: T" + "data: {type: T, sequence_number}".
  const std::string events = Refusal(ProxyRoute::kResponses, "m", "no", true).body;
  std::vector<std::string> types;
  for (size_t at = 0; (at = events.find("data: ", at)) != std::string::npos;) {
    const size_t stop = events.find("\n\n", at);
    const json e = json::parse(events.substr(at + 6, stop - at - 6));
    EXPECT_EQ(e["sequence_number"], types.size());
    types.push_back(e["type"]);
    at = stop;
  }
  const std::vector<std::string> expected = {
      "response.created",           "response.in_progress",
      "response.output_item.added", "response.content_part.added",
      "response.output_text.delta", "response.output_text.done",
      "response.content_part.done", "response.output_item.done",
      "response.incomplete"};
  EXPECT_EQ(types, expected);
  EXPECT_EQ(events.find("event: response.created\ndata: "), 0u);
}

TEST(BlockResponse, VerdictHeaders) {
  guard::GuardResult r = Unsafe("violence", 0.91234);
  const auto h = VerdictHeaders(&r);
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0], std::make_pair(std::string("x-haloguard-verdict"), std::string("unsafe")));
  EXPECT_EQ(h[2].second, "0.9123");
  EXPECT_EQ(VerdictHeaders(nullptr, "error")[0].second, "error");
}

TEST(ProxyOptions, ParsingAndValidation) {
  EXPECT_FALSE(ParseUpstreamAuth("bearer").ok());
  EXPECT_EQ(*ParseBlockResponse("refusal"), BlockResponse::kRefusal);
  EXPECT_EQ(*ParseClassifyTurns("all"), ClassifyTurns::kAll);
  ProxyOptions o;
  o.upstream.base_url = "http://127.0.0.1:8001/v1//";
  EXPECT_TRUE(ValidateProxyOptions(&o).ok());
  EXPECT_EQ(o.upstream.base_url, "http://127.0.0.1:8001/v1");
  o.upstream.base_url = "ftp://x/v1";
  EXPECT_NE(ValidateProxyOptions(&o).message().find("--upstream"), std::string::npos);
  o.upstream.base_url = "http://x/v1";
  o.auth = UpstreamAuth::kKey;
  EXPECT_NE(ValidateProxyOptions(&o).message().find("--upstream-api-key"), std::string::npos);
  o.auth = UpstreamAuth::kNone;
  o.upstream.timeout_ms = 0;
  EXPECT_NE(ValidateProxyOptions(&o).message().find("--upstream-timeout-ms"), std::string::npos);
}

}  // namespace
}  // namespace haloguard::server::proxy
