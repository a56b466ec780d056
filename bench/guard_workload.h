// Inputs of the guard-level bench sections: user texts cut to a known token count, a tokenizer
// corpus, prompts read from a JSONL file at run time, and a classifier without the prefix cache.
// The texts are written here (no benchmark data is stored in the repository).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "guard/result.h"
#include "model/qwen35.h"

namespace haloguard::bench {

// A user text of exactly `tokens` tokens as `guard` tokenizes it (benign prose cycled from a fixed
// paragraph list and cut at a token boundary; `variant` changes the opening so texts differ).
// Errors: tokenization failure, or a cut that re-tokenizes to another count (INTERNAL, with both
// counts).
StatusOr<std::string> TextOfTokens(const guard::Classifier& guard, int64_t tokens, int variant = 0);

// About `bytes` bytes of mixed text for tokenizer throughput: English prose, code, numbers, URLs,
// and German, French, Russian, Chinese and Japanese sentences, one string per line of prose.
std::vector<std::string> TokenizerCorpus(int64_t bytes);

// The "text" (else "prompt" / "query") field of the first `limit` lines of a JSONL file; lines
// without one are skipped. Errors: NOT_FOUND if the file cannot be opened, INVALID_ARGUMENT if no
// line has a text.
StatusOr<std::vector<std::string>> ReadPrompts(const std::string& path, int64_t limit);

// The guard over an already loaded `model` with the prefix cache off: every window runs the
// whole prompt (system prompt included) from an empty state. Defaults otherwise as
// guard::LoadClassifier (policy, built-in attack rules, window 1200/256). `model` and `pool`
// must outlive the result; the tokenizer comes from `model_dir`.
StatusOr<std::unique_ptr<guard::Classifier>> UncachedGuard(const model::Model& model, ThreadPool& pool,
                                                           const std::string& model_dir);

}  // namespace haloguard::bench
