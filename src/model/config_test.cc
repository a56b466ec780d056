// config.json parsing: nested and flat layouts, defaults, and clear errors naming the key.
#include <gtest/gtest.h>

#include "model/config.h"
#include "model/test_util.h"

namespace haloguard::model {
namespace {

TEST(Config, ParsesRealShapes) {
  auto c08 = ParseConfig(testing::ReadTestFile("configs/qwen3.5-0.8b.json"));
  ASSERT_TRUE(c08.ok()) << c08.status().ToString();
  EXPECT_EQ(c08->hidden_size, 1024);
  EXPECT_EQ(c08->num_full_attention_layers(), 6);
  EXPECT_TRUE(c08->is_full_attention(3));
  EXPECT_FALSE(c08->is_full_attention(4));
  EXPECT_EQ(c08->rotary_dim(), 64);
  EXPECT_DOUBLE_EQ(c08->rope_theta, 1e7);
  EXPECT_TRUE(c08->tie_word_embeddings);
  auto c4 = ParseConfig(testing::ReadTestFile("configs/qwen3.5-4b.json"));
  ASSERT_TRUE(c4.ok()) << c4.status().ToString();
  EXPECT_EQ(c4->linear_num_value_heads, 32);
  EXPECT_EQ(c4->linear_num_key_heads, 16);
  EXPECT_EQ(c4->linear_conv_dim(), 2 * 16 * 128 + 32 * 128);
}

TEST(Config, IntervalDefaultMatchesHf) {
  // HF: layer i is full attention iff (i + 1) % full_attention_interval == 0 (default 4).
  auto c = ParseConfig(R"({"model_type":"qwen3_5_text","vocab_size":10,"hidden_size":8,
      "intermediate_size":8,"num_hidden_layers":8,"num_attention_heads":2,"num_key_value_heads":1,
      "head_dim":8,"linear_num_key_heads":1,"linear_num_value_heads":2})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (int L = 0; L < 8; ++L) EXPECT_EQ(c->is_full_attention(L), L == 3 || L == 7) << L;
  EXPECT_DOUBLE_EQ(c->partial_rotary_factor, 0.25);
  EXPECT_DOUBLE_EQ(c->rope_theta, 10000.0);
}

void ExpectError(const std::string& json, const std::string& needle) {
  auto c = ParseConfig(json);
  ASSERT_FALSE(c.ok()) << json;
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find(needle), std::string::npos) << c.status().message();
}

TEST(Config, ErrorsNameTheKey) {
  const std::string base = R"("vocab_size":10,"hidden_size":8,"intermediate_size":8,
      "num_hidden_layers":2,"num_attention_heads":2,"num_key_value_heads":1,"head_dim":8,
      "linear_num_key_heads":1,"linear_num_value_heads":2)";
  ExpectError("{not json", "not valid JSON");
  ExpectError("[1,2]", "expected a JSON object");
  ExpectError(R"({"model_type":"llama",)" + base + "}", "model_type");
  ExpectError(R"({"model_type":"qwen3_5_text"})", "vocab_size");
  ExpectError(R"({"model_type":"qwen3_5_text",)" + base + R"(,"hidden_act":"gelu"})", "hidden_act");
  ExpectError(R"({"model_type":"qwen3_5_text",)" + base + R"(,"num_key_value_heads":3})", "multiple");
  ExpectError(R"({"model_type":"qwen3_5_text",)" + base + R"(,"layer_types":["linear_attention"]})",
              "layer_types has 1 entries");
  ExpectError(R"({"model_type":"qwen3_5_text",)" + base + R"(,"layer_types":["mamba","x"]})",
              "layer_types[]");
  ExpectError(R"({"model_type":"qwen3_5_text",)" + base + R"(,"hidden_size":"big"})", "hidden_size");
  ExpectError(R"({"model_type":"qwen3_5_text",)" + base + R"(,"hidden_size":-4})", "hidden_size");
  ExpectError(R"({"model_type":"qwen3_5_text",)" + base +
                  R"(,"rope_parameters":{"rope_type":"yarn","factor":4}})",
              "rope_type");
  ExpectError(R"({"model_type":"qwen3_5","text_config":7})", "text_config");
}

}  // namespace
}  // namespace haloguard::model
