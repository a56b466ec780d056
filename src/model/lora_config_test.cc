// adapter_config.json parsing, PEFT target matching, scale, key splitting and refusals.
#include "model/lora_config.h"

#include <gtest/gtest.h>

#include <cmath>

namespace haloguard::model {
namespace {

// A real PEFT LoraConfig.save_pretrained output (trimmed to the fields PEFT 0.13 writes).
constexpr const char* kPeftConfig = R"({
  "alpha_pattern": {}, "auto_mapping": null, "base_model_name_or_path": "astroware/HaloGuard1-Gen-0.8B",
  "bias": "none", "fan_in_fan_out": false, "inference_mode": true, "init_lora_weights": true,
  "layers_pattern": null, "layers_to_transform": null, "lora_alpha": 32, "lora_dropout": 0.05,
  "modules_to_save": null, "peft_type": "LORA", "r": 8, "rank_pattern": {}, "revision": null,
  "target_modules": ["v_proj", "q_proj"], "task_type": "CAUSAL_LM", "use_dora": false,
  "use_rslora": false})";

std::string With(const std::string& field) {
  std::string s = kPeftConfig;
  return s.substr(0, s.size() - 1) + ", " + field + "}";
}

TEST(LoraConfig, ParsesPeftOutput) {
  auto c = ParseLoraConfig(kPeftConfig);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->r, 8);
  EXPECT_DOUBLE_EQ(c->scale(), 4.0);
  EXPECT_EQ(c->base_model_name_or_path, "astroware/HaloGuard1-Gen-0.8B");
  EXPECT_TRUE(c->Targets("model.language_model.layers.3.self_attn.q_proj"));
  EXPECT_TRUE(c->Targets("q_proj"));
  EXPECT_FALSE(c->Targets("model.language_model.layers.3.self_attn.k_proj"));
  EXPECT_FALSE(c->Targets("model.language_model.layers.3.self_attn.xq_proj"));
}

TEST(LoraConfig, RsLoraScale) {
  auto c = ParseLoraConfig(R"({"r": 8, "lora_alpha": 32, "use_rslora": true, "target_modules": ["q_proj"]})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_DOUBLE_EQ(c->scale(), 32.0 / std::sqrt(8.0));
  EXPECT_FALSE(ParseLoraConfig(R"({"r": 8, "use_rslora": 1, "target_modules": ["q"]})").ok());
}

TEST(LoraConfig, RegexTargetsAreFullMatches) {
  auto c = ParseLoraConfig(
      R"j({"r": 4, "lora_alpha": 8, "target_modules": ".*layers\\.[01]\\..*(q_proj|down_proj)"})j");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->Targets("model.language_model.layers.1.mlp.down_proj"));
  EXPECT_FALSE(c->Targets("model.language_model.layers.2.mlp.down_proj"));
  EXPECT_FALSE(c->Targets("model.language_model.layers.1.mlp.down_proj.x"));
}

void ExpectRefused(const std::string& json, const std::string& needle) {
  auto c = ParseLoraConfig(json);
  ASSERT_FALSE(c.ok()) << json;
  EXPECT_NE(c.status().ToString().find(needle), std::string::npos) << c.status().ToString();
}

TEST(LoraConfig, RefusesUnsupportedAndMalformed) {
  ExpectRefused("{", "not valid JSON");
  ExpectRefused(R"({"r": 0, "target_modules": ["q_proj"]})", "r: expected an integer >= 1");
  ExpectRefused(R"({"r": 4})", "target_modules: missing");
  ExpectRefused(R"({"r": 4, "target_modules": []})", "target_modules: expected a non-empty list");
  ExpectRefused(R"({"r": 4, "target_modules": "("})", "expected a valid regex");
  ExpectRefused(R"({"r": 4, "peft_type": "IA3", "target_modules": ["q_proj"]})", "peft_type");
  ExpectRefused(With(R"("lora_alpha": "x")"), "lora_alpha: expected a number");
  ExpectRefused(R"({"r": 4, "target_modules": ["q_proj"], "fan_in_fan_out": true})",
                "fan_in_fan_out");
  ExpectRefused(R"({"r": 4, "target_modules": ["q_proj"], "bias": "lora_only"})", "bias");
  ExpectRefused(R"({"r": 4, "target_modules": ["q_proj"], "modules_to_save": ["lm_head"]})",
                "modules_to_save");
  ExpectRefused(R"({"r": 4, "target_modules": ["q_proj"], "use_dora": true})", "use_dora");
  ExpectRefused(R"({"r": 4, "target_modules": ["q_proj"], "rank_pattern": {"q": 2}})",
                "rank_pattern");
}

TEST(LoraKey, SplitsPeftKeys) {
  auto a = ParseLoraKey("base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(a->is_a);
  EXPECT_EQ(a->base_weight_name(), "model.language_model.layers.0.self_attn.q_proj.weight");
  auto b = ParseLoraKey("base_model.model.model.layers.2.mlp.up_proj.lora_B.weight");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_FALSE(b->is_a);
  EXPECT_EQ(b->module, "model.layers.2.mlp.up_proj");
  for (const char* k : {"model.layers.0.q_proj.lora_A.weight",
                        "base_model.model.model.layers.0.q_proj.lora_A.default.weight",
                        "base_model.model.model.embed_tokens.lora_embedding_A", "base_model.model."}) {
    auto bad = ParseLoraKey(k);
    ASSERT_FALSE(bad.ok()) << k;
    EXPECT_NE(bad.status().ToString().find(k), std::string::npos);
  }
}

TEST(LoraConfig, RefusesRegexesThatCouldExhaustTheStack) {
  const std::string deep = R"({"r": 4, "target_modules": ")" + std::string(40, '(') + "q" +
                           std::string(40, ')') + R"("})";
  auto c = ParseLoraConfig(deep);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("nested groups, got 81 characters, depth 40"), std::string::npos)
      << c.status().ToString();
  const std::string long_re = R"({"r": 4, "target_modules": ")" + std::string(600, 'a') + R"("})";
  EXPECT_FALSE(ParseLoraConfig(long_re).ok());
  EXPECT_TRUE(ParseLoraConfig(R"j({"r": 4, "target_modules": ".*\\.(q_proj|v_proj)"})j").ok());
}

}  // namespace
}  // namespace haloguard::model
