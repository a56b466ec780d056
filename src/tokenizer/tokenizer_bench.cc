// tokenizer_bench: measures single-thread encode throughput of this tokenizer on a JSONL corpus
// (one JSON string, or an object with a "text"/"prompt" field, per line), and the load time.
// Usage: tokenizer_bench TOKENIZER_JSON [TOKENIZER_CONFIG_JSON|""] CORPUS.jsonl [MIN_SECONDS]
// Pair it with tools/tokenizer/bench_hf.js for the HF oracle on the same corpus.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/clock.h"
#include "tokenizer/bench.h"

namespace {

std::vector<std::string> ReadCorpus(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_string()) out.push_back(j.get<std::string>());
    for (const char* key : {"text", "prompt"}) {
      if (j.is_object() && j.contains(key) && j[key].is_string()) {
        out.push_back(j[key].get<std::string>());
        break;
      }
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s TOKENIZER_JSON CONFIG_JSON|\"\" CORPUS.jsonl [MIN_SECONDS]\n",
                 argv[0]);
    return 2;
  }
  using haloguard::tokenizer::Tokenizer;
  const auto t0 = haloguard::Clock::now();
  auto tok = Tokenizer::Load(argv[1], argv[2]);
  const double load_s = haloguard::SecondsSince(t0);
  if (!tok.ok()) {
    std::fprintf(stderr, "%s\n", tok.status().ToString().c_str());
    return 1;
  }
  const std::vector<std::string> corpus = ReadCorpus(argv[3]);
  const double min_s = argc > 4 ? std::stod(argv[4]) : 3.0;
  const auto r = haloguard::tokenizer::BenchTokenizer(*tok, corpus, min_s);
  std::printf(
      "haloguard: load %.3f s; %zu strings, warm %.1f MB/s (%.0f tokens/s, %d passes), cold %.1f "
      "MB/s\n",
      load_s, corpus.size(), r.mb_per_s, r.tokens_per_s, r.passes, r.cold_mb_per_s);
  return 0;
}
