// Inputs of the guard-level bench sections (see guard_workload.h). All prose below was written
// for this file.
#include "bench/guard_workload.h"

#include <array>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "guard/classifier.h"
#include "guard/model_scorer.h"
#include "guard/prompt.h"
#include "tokenizer/tokenizer.h"

namespace haloguard::bench {
namespace {

constexpr std::array<std::string_view, 8> kProse = {
    "Thanks for getting back to me so quickly about the delayed parcel. The tracking page still "
    "shows it waiting at the regional depot, and the courier's phone line keeps dropping the call.",
    "For the bread, mix the flour, water and salt the evening before, leave the dough covered in a "
    "cool room overnight, then shape it gently and bake it on a hot stone for about forty minutes.",
    "Our team meeting moved to Thursday afternoon because half of the people are travelling on "
    "Wednesday. Please bring the revised budget numbers and the notes from the supplier review.",
    "The hiking trail climbs steadily through pine forest for the first three kilometres, crosses "
    "a wooden bridge over the stream, and then opens onto a wide meadow with a view of the lake.",
    "When the build fails on the continuous integration machine but passes locally, compare the "
    "compiler versions first, then the environment variables, and only then the test data paths.",
    "My grandmother kept a small notebook of every garden she planted: which seeds came up early, "
    "which beds flooded in spring, and which neighbours swapped cuttings with her each autumn.",
    "The museum opens at ten on weekdays and at nine on weekends; tickets bought online include "
    "the temporary exhibition on early printing, and children under twelve enter free of charge.",
    "Could you summarise the attached report in five bullet points for the board, keeping the "
    "figures on energy use and the timeline for replacing the old boilers in the east wing?",
};

constexpr std::array<std::string_view, 12> kCorpusLines = {
    "The quick brown fox jumps over the lazy dog while the farmer counts 1,234 sheep at 06:45.",
    "int main(int argc, char** argv) { for (int i = 0; i < argc; ++i) printf(\"%s\\n\", argv[i]); }",
    "See https://example.org/docs/v2/install?lang=en#section-3 or mail support@example.com today.",
    "Der Zug nach München fährt um 14:32 Uhr von Gleis 7 ab; bitte beachten Sie die Änderungen.",
    "Le musée sera fermé le mardi 3 mars pour des travaux; les billets déjà achetés restent valables.",
    "Погода в Новосибирске сегодня ясная, температура около минус пятнадцати градусов.",
    "今天下午三点在会议室讨论新产品的发布计划，请大家提前准备好相关材料。",
    "明日の天気は晴れのち曇り、最高気温は二十三度の予想です。傘は必要ないでしょう。",
    "    def tokenize(self, text: str) -> list[int]:\n        return [self.vocab[t] for t in text.split()]",
    "Price list: apples $2.49/kg, pears $3.10/kg, cherries $7.95/kg (VAT 19% included).",
    "   Indented   text with    irregular   spacing,\ttabs\tand\r\nWindows line endings.   ",
    "Emoji and symbols: 🙂 👍🏽 ✓ → ≤ ≥ ∑ ∞ — “quoted” ‘text’ … ©®™",
};

// Prose of at least `bytes` bytes (paragraphs joined by spaces), opened by a variant tag.
std::string Prose(size_t bytes, int variant) {
  // Appends rather than operator+ chains: GCC 12 reports a false -Wrestrict on those (bug 105329).
  std::string s = "Note ";
  s.append(std::to_string(variant)).append(".");
  for (size_t i = 0; s.size() < bytes; ++i) s.append(" ").append(kProse[i % kProse.size()]);
  return s;
}

}  // namespace

StatusOr<std::string> TextOfTokens(const guard::Classifier& guard, int64_t tokens, int variant) {
  if (tokens < 1) return InvalidArgumentError("bench: TextOfTokens; expected tokens >= 1, got " + std::to_string(tokens));
  // English prose is ~4.5 bytes per token with a byte-level BPE; 8 leaves room for small vocabularies.
  const std::string text = Prose(static_cast<size_t>(tokens) * 8 + 64, variant);
  HG_ASSIGN_OR_RETURN(guard::TokenizedText t, guard.Tokenize(text));
  if (static_cast<int64_t>(t.ids.size()) < tokens + 8) {
    return InternalError("bench: TextOfTokens; expected more than " + std::to_string(tokens) +
                         " tokens from " + std::to_string(text.size()) + " bytes, got " + std::to_string(t.ids.size()));
  }
  // Cutting inside a word can re-tokenize differently; try the neighbouring token ends too.
  int64_t last_count = 0;
  for (int64_t d : {0, 1, -1, 2, -2, 3, -3}) {
    const int64_t end = tokens - 1 + d;
    if (end < 0) continue;
    const std::string cut = text.substr(0, t.spans[static_cast<size_t>(end)].second);
    HG_ASSIGN_OR_RETURN(guard::TokenizedText c, guard.Tokenize(cut));
    last_count = static_cast<int64_t>(c.ids.size());
    if (last_count == tokens) return cut;
  }
  return InternalError("bench: TextOfTokens; expected a cut of " + std::to_string(tokens) +
                       " tokens, got " + std::to_string(last_count));
}

std::vector<std::string> TokenizerCorpus(int64_t bytes) {
  std::vector<std::string> corpus;
  int64_t total = 0;
  for (size_t i = 0; total < bytes; ++i) {
    // Line numbers and a rotating prose paragraph keep the word cache from seeing one fixed text.
    std::string line = std::to_string(i);
    line.append(": ").append(kCorpusLines[i % kCorpusLines.size()]);
    if (i % 3 == 0) line.append(" ").append(kProse[(i / 3) % kProse.size()]);
    total += static_cast<int64_t>(line.size());
    corpus.push_back(std::move(line));
  }
  return corpus;
}

StatusOr<std::vector<std::string>> ReadPrompts(const std::string& path, int64_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("bench: --prompts; cannot open '" + path + "'");
  std::vector<std::string> out;
  for (std::string line; static_cast<int64_t>(out.size()) < limit && std::getline(in, line);) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;
    for (const char* key : {"text", "prompt", "query"}) {
      if (j.contains(key) && j[key].is_string()) {
        out.push_back(j[key].get<std::string>());
        break;
      }
    }
  }
  if (out.empty()) {
    return InvalidArgumentError("bench: --prompts " + path +
                                "; expected JSONL objects with a \"text\" string, found none");
  }
  return out;
}

StatusOr<std::unique_ptr<guard::Classifier>> UncachedGuard(const model::Model& model, ThreadPool& pool,
                                                           const std::string& model_dir) {
  HG_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, tokenizer::Tokenizer::LoadFromDir(model_dir));
  guard::ClassifierParts parts{std::move(tok)};
  HG_ASSIGN_OR_RETURN(parts.attack, guard::AttackDetector::Builtin());
  HG_ASSIGN_OR_RETURN(guard::GuardPromptIds ids, guard::BuildPromptIds(parts.tokenizer));
  guard::ModelScorerOptions so;
  so.use_prefix_cache = false;
  HG_ASSIGN_OR_RETURN(parts.scorer, guard::ModelScorer::Create(model, pool, std::move(ids), so));
  parts.info.model_id = model_dir;
  return std::unique_ptr<guard::Classifier>(
      std::make_unique<guard::GuardClassifier>(std::move(parts), guard::GuardOptions{}));
}

}  // namespace haloguard::bench
