// Tokenizer: Hugging Face byte-level BPE (Qwen2/3 and Qwen3.5 tokenizer.json) with HF tokenizers
// 0.23.2 semantics: added tokens matched in the raw text, NFC, the Split regex, byte-level BPE.
//
//   HG_ASSIGN_OR_RETURN(Tokenizer tok, Tokenizer::LoadFromDir("/models/HaloGuard-0.8B"));
//   HG_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tok.Encode("<|im_start|>user\nhi"));
//   std::string text = tok.Decode(ids, /*skip_special_tokens=*/false);
//
// A Tokenizer is immutable after loading; copies share the same data. Every method is const and
// safe to call from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "tokenizer/vocab.h"

namespace haloguard::tokenizer {

class Tokenizer {
 public:
  // Loads tokenizer.json and, unless `tokenizer_config_json_path` is "", tokenizer_config.json
  // (its added_tokens_decoder entries are merged in as transformers does). Errors: see
  // ReadTokenizerSpec (vocab.h); INVALID_ARGUMENT if a byte-level token is missing.
  static StatusOr<Tokenizer> Load(const std::string& tokenizer_json_path,
                                  const std::string& tokenizer_config_json_path);
  // `model_dir`/tokenizer.json plus `model_dir`/tokenizer_config.json when that file exists.
  static StatusOr<Tokenizer> LoadFromDir(const std::string& model_dir);
  // Builds from an already parsed spec (tests, tools).
  static StatusOr<Tokenizer> FromSpec(TokenizerSpec spec);

  // HF `encode(text, add_special_tokens=False)`: added and special tokens written in the text are
  // matched. Errors: INVALID_ARGUMENT for ill-formed UTF-8 (naming the byte offset) or text of
  // 4 GiB or more.
  StatusOr<std::vector<int32_t>> Encode(std::string_view text) const;
  // Encode, plus for each token the byte span [first, second) of `text` it came from. Spans cover
  // whole UTF-8 characters, are non-decreasing, and together cover the text. Tokens of one
  // character split into several byte tokens share its span (as in HF). Where NFC changed the
  // text (a base character with marks that reorder or compose), tokens get the span of that whole
  // stretch; HF instead gives positional spans there that can leave gaps. Elsewhere the spans are
  // HF's offsets, in bytes.
  StatusOr<std::vector<int32_t>> EncodeWithOffsets(
      std::string_view text, std::vector<std::pair<size_t, size_t>>* byte_spans) const;

  // HF `decode(ids, skip_special_tokens)`: ids without a token are skipped, tokens flagged special
  // are skipped when asked, the ByteLevel decoder maps token characters back to bytes, and
  // ill-formed UTF-8 in the result becomes U+FFFD.
  std::string Decode(std::span<const int32_t> ids, bool skip_special_tokens) const;

  // The id of a token string (byte-level spelling, e.g. "Ġworld", or an added token's content).
  std::optional<int32_t> TokenToId(std::string_view token) const;
  // The token string of `id`; "" if no token has that id.
  std::string IdToToken(int32_t id) const;
  // Whether `id` is an added token flagged special.
  bool IsSpecial(int32_t id) const;
  // One past the largest token id (vocab plus added tokens): HF's len(tokenizer).
  int64_t vocab_size() const;

 private:
  struct Impl;
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace haloguard::tokenizer
