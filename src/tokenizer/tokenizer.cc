// Tokenizer: added-token split -> per segment NFC -> Split pieces -> byte-level BPE; and Decode.
#include "tokenizer/tokenizer.h"

#include <array>
#include <atomic>
#include <filesystem>
#include <unordered_map>

#include "core/utf8.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/nfc.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/unicode.h"
#include "tokenizer/word_cache.h"

namespace haloguard::tokenizer {

struct Tokenizer::Impl {
  uint64_t serial = 0;  // unique per Impl, so per-thread caches never serve another tokenizer
  bool nfc = false;
  SplitPattern split = SplitPattern::kQwen35;
  bool ignore_merges = false;
  std::unordered_map<std::string, int32_t> token_to_id;  // vocab, then added tokens (they win)
  std::unordered_map<std::string, int32_t> bytes_to_id;  // vocab by raw bytes; ignore_merges only
  std::vector<std::string> id_to_token;                  // [vocab_size]
  std::vector<std::string> id_to_bytes;  // [vocab_size] as the ByteLevel decoder reads it
  std::vector<bool> special;             // [vocab_size]
  std::array<int32_t, 256> byte_ids{};
  MergeTable merges;
  AddedTokenMatcher added;

  using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;
  // Fills every table from `spec`.
  Status Build(const TokenizerSpec& spec);
  Status BuildVocab(const TokenizerSpec& spec);
  void EncodeSegment(std::string_view text, size_t base, std::vector<int32_t>* ids,
                     std::vector<std::pair<size_t, size_t>>* spans) const;
  void EncodePieces(std::string_view text, std::vector<int32_t>* ids, Ranges* ranges) const;
  void EncodePiece(std::string_view piece, std::vector<int32_t>* ids) const;
};

namespace {

using Spans = std::vector<std::pair<size_t, size_t>>;

std::atomic<uint64_t> next_serial{1};

}  // namespace

// Token strings both ways, the 256 byte tokens, special flags and decoder bytes.
Status Tokenizer::Impl::BuildVocab(const TokenizerSpec& spec) {
  size_t size = spec.vocab.size();
  for (const AddedTokenSpec& a : spec.added) size = std::max(size, static_cast<size_t>(a.id) + 1);
  id_to_token.assign(size, "");
  special.assign(size, false);
  token_to_id.reserve(size);
  for (size_t id = 0; id < spec.vocab.size(); ++id) {
    id_to_token[id] = spec.vocab[id];
    if (!spec.vocab[id].empty()) token_to_id[spec.vocab[id]] = static_cast<int32_t>(id);
  }
  for (int b = 0; b < 256; ++b) {
    const std::string tok = BytesToTokenString(std::string(1, static_cast<char>(b)));
    auto it = token_to_id.find(tok);
    if (it == token_to_id.end()) {
      return InvalidArgumentError("tokenizer.json: model.vocab lacks the byte-level token \"" +
                                  tok + "\" (byte " + std::to_string(b) +
                                  "); expected all 256 byte tokens");
    }
    byte_ids[b] = it->second;
  }
  for (const AddedTokenSpec& a : spec.added) {
    id_to_token[a.id] = a.content;
    special[a.id] = a.special;
    token_to_id[a.content] = a.id;
  }
  id_to_bytes.resize(size);
  for (size_t id = 0; id < size; ++id) id_to_bytes[id] = TokenStringToBytes(id_to_token[id]);
  if (ignore_merges) {
    for (size_t id = 0; id < spec.vocab.size(); ++id) {
      if (!spec.vocab[id].empty()) bytes_to_id[id_to_bytes[id]] = static_cast<int32_t>(id);
    }
  }
  return OkStatus();
}

Status Tokenizer::Impl::Build(const TokenizerSpec& spec) {
  nfc = spec.nfc;
  split = spec.split;
  ignore_merges = spec.ignore_merges;
  HG_RETURN_IF_ERROR(BuildVocab(spec));
  merges.Reserve(spec.merges.size());
  for (size_t rank = 0; rank < spec.merges.size(); ++rank) {
    const BpeMergeSpec& m = spec.merges[rank];
    merges.Add(m.left, m.right, static_cast<uint32_t>(rank), m.merged);
  }
  added = AddedTokenMatcher(spec.added);
  return OkStatus();
}

namespace {

// Expands [b, e) of `text` to whole UTF-8 characters.
std::pair<size_t, size_t> CharAligned(std::string_view text, size_t b, size_t e) {
  while (b > 0 && (static_cast<uint8_t>(text[b]) & 0xC0) == 0x80) --b;
  while (e < text.size() && (static_cast<uint8_t>(text[e]) & 0xC0) == 0x80) ++e;
  return {b, e};
}

}  // namespace

void Tokenizer::Impl::EncodePieces(std::string_view text, std::vector<int32_t>* ids,
                                   Ranges* ranges) const {
  thread_local std::vector<size_t> ends;
  thread_local internal::WordCache cache;
  cache.SetOwner(serial);
  ends.clear();
  PreTokenize(split, text, &ends);
  size_t begin = 0;
  for (size_t end : ends) {
    const std::string_view piece = text.substr(begin, end - begin);
    const size_t first = ids->size();
    const std::span<const int32_t> hit = cache.Find(piece);
    if (!hit.empty()) {
      ids->insert(ids->end(), hit.begin(), hit.end());
    } else {
      EncodePiece(piece, ids);
      if (piece.size() <= internal::WordCache::kMaxPieceBytes) {
        cache.Insert(piece, std::span<const int32_t>(ids->data() + first, ids->size() - first));
      }
    }
    if (ranges) {  // each token covers its own bytes of the piece, in order
      for (size_t k = first, at = begin; k < ids->size(); ++k) {
        const size_t len = id_to_bytes[(*ids)[k]].size();
        ranges->emplace_back(at, at + len);
        at += len;
      }
    }
    begin = end;
  }
}

void Tokenizer::Impl::EncodePiece(std::string_view piece, std::vector<int32_t>* ids) const {
  if (ignore_merges) {
    auto hit = bytes_to_id.find(std::string(piece));
    if (hit != bytes_to_id.end()) {
      ids->push_back(hit->second);
      return;
    }
  }
  BpeEncode(merges, byte_ids, piece, ids, nullptr);
}

void Tokenizer::Impl::EncodeSegment(std::string_view text, size_t base, std::vector<int32_t>* ids,
                                    Spans* spans) const {
  thread_local std::string normalized;
  thread_local std::vector<ByteSpan> align;
  thread_local Ranges ranges;
  const bool normalize = nfc && !IsNfcQuick(text);
  std::string_view work = text;
  if (normalize) {
    normalized.clear();
    align.clear();
    NormalizeNfc(text, &normalized, spans ? &align : nullptr);
    work = normalized;
  }
  if (!spans) {
    EncodePieces(work, ids, nullptr);
    return;
  }
  ranges.clear();
  EncodePieces(work, ids, &ranges);
  for (auto [b, e] : ranges) {
    if (normalize) {
      spans->emplace_back(base + align[b].begin, base + align[e - 1].end);
    } else {
      auto [cb, ce] = CharAligned(work, b, e);
      spans->emplace_back(base + cb, base + ce);
    }
  }
}

StatusOr<Tokenizer> Tokenizer::FromSpec(TokenizerSpec spec) {
  auto impl = std::make_shared<Impl>();
  impl->serial = next_serial.fetch_add(1);
  HG_RETURN_IF_ERROR(impl->Build(spec));
  // Build the Unicode tables now rather than inside the first Encode.
  IsNfcQuick("");
  CharClasses(0);
  return Tokenizer(std::move(impl));
}

StatusOr<Tokenizer> Tokenizer::Load(const std::string& tokenizer_json_path,
                                    const std::string& tokenizer_config_json_path) {
  HG_ASSIGN_OR_RETURN(TokenizerSpec spec,
                      ReadTokenizerSpec(tokenizer_json_path, tokenizer_config_json_path));
  return FromSpec(std::move(spec));
}

StatusOr<Tokenizer> Tokenizer::LoadFromDir(const std::string& model_dir) {
  const std::filesystem::path dir(model_dir);
  std::error_code ec;
  const std::filesystem::path config = dir / "tokenizer_config.json";
  const bool has_config = std::filesystem::is_regular_file(config, ec);
  return Load((dir / "tokenizer.json").string(), has_config ? config.string() : "");
}

StatusOr<std::vector<int32_t>> Tokenizer::Encode(std::string_view text) const {
  return EncodeWithOffsets(text, nullptr);
}

StatusOr<std::vector<int32_t>> Tokenizer::EncodeWithOffsets(std::string_view text,
                                                            Spans* byte_spans) const {
  if (text.size() > UINT32_MAX) {
    return InvalidArgumentError(
        "Tokenizer::Encode: text too long; expected fewer than 4 GiB, got " +
        std::to_string(text.size()) + " bytes");
  }
  HG_RETURN_IF_ERROR(ValidateUtf8(text).WithPrefix("Tokenizer::Encode"));
  if (byte_spans) byte_spans->clear();
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  thread_local std::vector<AddedTokenMatcher::Match> matches;
  matches.clear();
  impl_->added.FindAll(text, &matches);
  size_t begin = 0;
  for (const AddedTokenMatcher::Match& m : matches) {
    impl_->EncodeSegment(text.substr(begin, m.begin - begin), begin, &ids, byte_spans);
    ids.push_back(m.id);
    if (byte_spans) byte_spans->emplace_back(m.begin, m.end);
    begin = m.end;
  }
  impl_->EncodeSegment(text.substr(begin), begin, &ids, byte_spans);
  return ids;
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= impl_->id_to_bytes.size()) continue;
    if (impl_->id_to_token[id].empty()) continue;
    if (skip_special_tokens && impl_->special[id]) continue;
    bytes += impl_->id_to_bytes[id];
  }
  return SanitizeUtf8(bytes);
}

std::optional<int32_t> Tokenizer::TokenToId(std::string_view token) const {
  auto it = impl_->token_to_id.find(std::string(token));
  if (it == impl_->token_to_id.end()) return std::nullopt;
  return it->second;
}

std::string Tokenizer::IdToToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->id_to_token.size()) return "";
  return impl_->id_to_token[id];
}

bool Tokenizer::IsSpecial(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < impl_->special.size() && impl_->special[id];
}

int64_t Tokenizer::vocab_size() const { return static_cast<int64_t>(impl_->id_to_token.size()); }

}  // namespace haloguard::tokenizer
