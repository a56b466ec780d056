// Internal to vocab.cc: a SAX reader for tokenizer.json that collects model.vocab and model.merges
// straight into vectors (hundreds of thousands of entries) and builds an ordinary nlohmann DOM of
// the rest. About 3x faster than a full DOM parse of a 12 MB file.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace haloguard::tokenizer::internal {

struct TokenizerJson {
  nlohmann::json dom;  // the document, with model.vocab = {} and model.merges = [] placeholders
  bool has_vocab = false, has_merges = false;
  std::vector<std::pair<std::string, int64_t>> vocab;       // in file order
  std::vector<std::pair<std::string, std::string>> merges;  // in file order (rank order)
};

// Parses `text` (the contents of `path`, used in messages). Errors: INVALID_ARGUMENT for malformed
// JSON or a vocab/merges entry of the wrong shape, naming the entry.
StatusOr<TokenizerJson> ParseTokenizerJson(const std::string& path, const std::string& text);

}  // namespace haloguard::tokenizer::internal
