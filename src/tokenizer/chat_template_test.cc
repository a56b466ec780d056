// RenderChat against Jinja2 renderings of the real Qwen3.5 template (chat_template_goldens.jsonl,
// tools/tokenizer/gen_template_goldens.py), byte for byte; PythonStrip against CPython's isspace.
#include "tokenizer/chat_template.h"

#include <gtest/gtest.h>

#include <set>

#include "core/utf8.h"
#include "tokenizer/test_util.h"

namespace haloguard::tokenizer {
namespace {

using testing::ReadJsonl;
using testing::SourcePath;

TEST(ChatTemplate, MatchesJinja2) {
  const auto goldens = ReadJsonl(SourcePath("tests/data/tokenizer/chat_template_goldens.jsonl"));
  ASSERT_GE(goldens.size(), 750u);
  int errors = 0;
  for (const auto& row : goldens) {
    std::vector<ChatMessage> messages;
    for (const auto& m : row["messages"]) {
      messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
    }
    // enable_thinking null means "not passed": the template treats it like false.
    const bool thinking = row["enable_thinking"].is_boolean() && row["enable_thinking"].get<bool>();
    auto got = RenderChat(messages, row["add_generation_prompt"].get<bool>(), thinking);
    if (row.contains("error")) {
      ++errors;
      ASSERT_FALSE(got.ok()) << row.dump();
      EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(got.status().message(), "RenderChat: " + row["error"].get<std::string>());
    } else {
      ASSERT_TRUE(got.ok()) << got.status().ToString() << "\n" << row.dump();
      EXPECT_EQ(*got, row["output"].get<std::string>()) << row.dump();
    }
  }
  EXPECT_GE(errors, 5);
}

TEST(ChatTemplate, GuardPromptShape) {
  const std::vector<ChatMessage> msgs = {{"system", " policy \n"}, {"user", "\tquery\u3000"}};
  auto got = RenderChat(msgs, true, false);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got,
            "<|im_start|>system\npolicy<|im_end|>\n<|im_start|>user\nquery<|im_end|>\n"
            "<|im_start|>assistant\n<think>\n\n</think>\n\n");
}

TEST(ChatTemplate, RejectsInvalidUtf8) {
  const std::vector<ChatMessage> msgs = {{"user", std::string("ok\xC3(", 4)}};
  auto got = RenderChat(msgs, true, false);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find("message 0"), std::string::npos);
  EXPECT_NE(got.status().message().find("byte offset 2"), std::string::npos);
}

// Every code point: PythonStrip(c) is empty exactly when CPython's c.isspace() (python_space.json).
TEST(PythonStrip, EveryCodePointMatchesCPython) {
  const auto j = ReadJsonl(SourcePath("tests/data/tokenizer/python_space.json"));
  ASSERT_EQ(j.size(), 1u);
  const auto list = j[0]["isspace"].get<std::vector<uint32_t>>();
  const std::set<uint32_t> space(list.begin(), list.end());
  ASSERT_GE(space.size(), 25u);
  for (uint32_t cp = 0; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s;
    AppendUtf8(cp, s);
    ASSERT_EQ(PythonStrip("a" + s + "b"), "a" + s + "b");
    ASSERT_EQ(PythonStrip(s).empty(), space.count(cp) == 1) << "U+" << std::hex << cp;
  }
}

TEST(PythonStrip, Basics) {
  EXPECT_EQ(PythonStrip(""), "");
  EXPECT_EQ(PythonStrip(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"), "");
  EXPECT_EQ(PythonStrip("\u3000\u00a0 x y \u2028\u0085"), "x y");
  EXPECT_EQ(PythonStrip("\u200bx\ufeff"), "\u200bx\ufeff");
  // Ill-formed bytes at the ends are kept, never read past.
  EXPECT_EQ(PythonStrip(std::string(" \xE3\x80", 3)), std::string("\xE3\x80", 2));
  EXPECT_EQ(PythonStrip(std::string("\x80 x \xC2", 5)), std::string("\x80 x \xC2", 5));
  EXPECT_EQ(PythonStrip(std::string("\xC2\xA0\xC2", 3)), std::string("\xC2", 1));
}

}  // namespace
}  // namespace haloguard::tokenizer
