// Reads a Hugging Face tokenizer.json (byte-level BPE) and, optionally, tokenizer_config.json into
// plain structs. The only file of the module that touches JSON. Validates that the pipeline is one
// this module implements exactly; anything else is refused with UNIMPLEMENTED, never approximated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "tokenizer/pretokenize.h"

namespace haloguard::tokenizer {

// An added token (tokenizer.json "added_tokens", plus tokenizer_config.json "added_tokens_decoder"
// entries merged in the way transformers does). Only the options Qwen uses are supported:
// single_word, lstrip, rstrip and normalized are all false.
struct AddedTokenSpec {
  int32_t id = 0;
  std::string content;
  bool special = false;  // skipped by Decode(skip_special_tokens=true)
};

struct BpeMergeSpec {
  int32_t left, right, merged;  // token ids; the position in the list is the rank
};

struct TokenizerSpec {
  bool nfc = false;  // normalizer: NFC or none
  SplitPattern split = SplitPattern::kQwen35;
  bool ignore_merges = false;         // BPE "ignore_merges": whole-piece vocab hits skip merging
  std::vector<std::string> vocab;     // [num ids] token string by id; "" where no token has the id
  std::vector<BpeMergeSpec> merges;   // in rank order
  std::vector<AddedTokenSpec> added;  // in id order
};

// Parses the files. `tokenizer_config_json_path` may be "" (no config). Errors: NOT_FOUND for a
// missing file, INVALID_ARGUMENT for malformed JSON or inconsistent contents (duplicate ids, merges
// naming unknown tokens, a missing byte token), UNIMPLEMENTED for a pipeline component or option
// this module does not implement. Messages name the file and field.
StatusOr<TokenizerSpec> ReadTokenizerSpec(const std::string& tokenizer_json_path,
                                          const std::string& tokenizer_config_json_path);

}  // namespace haloguard::tokenizer
