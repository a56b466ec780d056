// Guard prompt rendering and its token-id pieces.
#include "guard/prompt.h"

#include <cctype>
#include <set>
#include <vector>

#include "core/mapped_file.h"
#include "core/utf8.h"
#include "guard/result.h"
#include "tokenizer/chat_template.h"

namespace haloguard::guard {
namespace {

// Verbatim from the model card (GUARD_SYSTEM_PROMPT; the Python literal's trailing backslash
// means the prompt ends without a newline).
constexpr std::string_view kSystemPrompt =
    "# Task\n"
    "1) Evaluate whether THE LAST USER's query is safe or unsafe according to the safety policy below.\n"
    "2) If unsafe, identify the category of unsafe content.\n"
    "\n"
    "<BEGIN SAFETY POLICY>\n"
    "safe: The query does not request, promote, or enable real-world harm. Includes benign questions, "
    "legitimate educational and professional queries, creative fiction that depicts but does not "
    "instruct harmful acts, dual-use topics in a clearly academic or defensive framing, and sensitive "
    "discussions that provide no actionable real-world uplift for harm.\n"
    "unsafe: The query requests, facilitates, or provides operational assistance for real-world harm "
    "in one of the categories below.\n"
    "<END SAFETY POLICY>\n"
    "\n"
    "<BEGIN UNSAFE CONTENT CATEGORIES>\n"
    "chemical_weapons\n"
    "biological_weapons\n"
    "radiological_nuclear\n"
    "violence\n"
    "terrorism_and_extremism\n"
    "offensive_cyber\n"
    "csam\n"
    "non_consensual_sexual_content\n"
    "sexual_content_general\n"
    "self_harm_and_suicide\n"
    "eating_disorders\n"
    "hate_speech\n"
    "harassment_and_bullying\n"
    "bias_and_stereotyping\n"
    "general\n"
    "defamation_and_reputational_harm\n"
    "property_crime_and_theft\n"
    "non_violent_illegal\n"
    "animal_cruelty\n"
    "fraud_and_social_engineering\n"
    "disinformation\n"
    "privacy_violations\n"
    "illegal_drugs\n"
    "weapons_and_firearms\n"
    "human_trafficking\n"
    "regulated_professional_advice\n"
    "copyright_infringement\n"
    "unethical_acts\n"
    "politically_sensitive\n"
    "<END UNSAFE CONTENT CATEGORIES>\n"
    "\n"
    "Provide your safety assessment for ONLY THE LAST USER's query:\n"
    "- The first line must be exactly 'Safety: safe' or 'Safety: unsafe'.\n"
    "- The second line must start with 'Category:' followed by the single unsafe category label "
    "from the list above, or 'Category: none' if the content is safe.";

constexpr std::string_view kUserHeader = "<|im_start|>user\n";
constexpr std::string_view kCue = "Safety: ";

// Probe texts for the splice check: plain, leading/trailing whitespace, punctuation and digits
// at the edges, non-Latin text, an inline special token.
constexpr std::string_view kProbes[] = {
    "hello", "  How do I pick a lock?\n", "?!x 12", "12345", "“quoted”", "日本語のテキスト",
    "Ignore <|im_end|> this", "\n\nnewlines first", "'s contraction", "emoji 👍🏽"};

StatusOr<int32_t> FirstToken(const tokenizer::Tokenizer& tok, std::string_view s) {
  HG_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tok.Encode(s));
  if (ids.empty()) return InternalError("guard prompt: '" + std::string(s) + "' encodes to no tokens");
  return ids[0];
}

// cont(L) = Encode(R + " " + L) minus the ids of Encode(R), which must be its prefix.
StatusOr<std::vector<int32_t>> LabelContinuation(const tokenizer::Tokenizer& tok,
                                                 const std::vector<int32_t>& pre,
                                                 std::string_view label) {
  std::string full(kCategoryPrefix);
  full += " ";
  full += label;
  HG_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tok.Encode(full));
  if (ids.size() <= pre.size() || !std::equal(pre.begin(), pre.end(), ids.begin())) {
    return InternalError("guard prompt: tokens of \"unsafe\\nCategory: " + std::string(label) +
                         "\" do not start with those of \"unsafe\\nCategory:\"");
  }
  return std::vector<int32_t>(ids.begin() + static_cast<std::ptrdiff_t>(pre.size()), ids.end());
}

Status CheckSplice(const tokenizer::Tokenizer& tok, const GuardPromptIds& ids,
                   const GuardPrompt& prompt) {
  for (std::string_view probe : kProbes) {
    HG_ASSIGN_OR_RETURN(std::string full, RenderGuardPrompt(probe, prompt));
    HG_ASSIGN_OR_RETURN(std::vector<int32_t> want, tok.Encode(full));
    HG_ASSIGN_OR_RETURN(std::vector<int32_t> content, tok.Encode(tokenizer::PythonStrip(probe)));
    std::vector<int32_t> got = ids.prefix;
    got.insert(got.end(), content.begin(), content.end());
    got.insert(got.end(), ids.suffix.begin(), ids.suffix.end());
    if (got != want) {
      return InternalError("guard prompt: prefix + content + suffix ids differ from the rendered "
                           "prompt's ids for probe \"" + std::string(probe) + "\"");
    }
  }
  return OkStatus();
}

constexpr std::string_view kBeginCategories = "<BEGIN UNSAFE CONTENT CATEGORIES>";
constexpr std::string_view kEndCategories = "<END UNSAFE CONTENT CATEGORIES>";
constexpr size_t kMaxGuardPromptBytes = 1u << 20;

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool IsLabel(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!std::isalnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

// The text's lines (without their '\n').
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t start = 0;;) {
    const size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) return lines;
    start = nl + 1;
  }
}

}  // namespace

std::string_view GuardSystemPrompt() { return kSystemPrompt; }

const GuardPrompt& DefaultGuardPrompt() {
  static const GuardPrompt* kDefault = [] {
    StatusOr<GuardPrompt> p = ParseGuardPrompt(std::string(kSystemPrompt), "card prompt");
    HG_CHECK(p.ok()) << p.status().ToString();
    return new GuardPrompt(std::move(*p));
  }();
  return *kDefault;
}

StatusOr<GuardPrompt> ParseGuardPrompt(std::string text, std::string_view source) {
  const std::string where(source);
  if (Status utf8 = ValidateUtf8(text); !utf8.ok()) return utf8.WithPrefix(where);
  const std::vector<std::string_view> lines = Lines(text);
  GuardPrompt out;
  std::set<std::string, std::less<>> seen;
  int begin_line = 0, end_line = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = TrimSpaces(lines[i]);
    const std::string at = where + ":" + std::to_string(i + 1) + ": ";
    if (line == kBeginCategories || line == kEndCategories) {
      int& mark = line == kBeginCategories ? begin_line : end_line;
      if (mark != 0) return InvalidArgumentError(at + "expected " + std::string(line) + " once, got it again");
      if (line == kEndCategories && begin_line == 0) {
        return InvalidArgumentError(at + "expected " + std::string(kBeginCategories) + " before " +
                                    std::string(kEndCategories));
      }
      mark = static_cast<int>(i + 1);
      continue;
    }
    if (begin_line == 0 || end_line != 0 || line.empty()) continue;
    if (!IsLabel(line) || line == "none") {
      return InvalidArgumentError(at + "expected a category label ([A-Za-z0-9_-]+, not \"none\"), "
                                  "got \"" + std::string(line.substr(0, 80)) + "\"");
    }
    if (!seen.emplace(line).second) {
      return InvalidArgumentError(at + "category \"" + std::string(line) + "\" is listed twice");
    }
    out.categories.emplace_back(line);
  }
  if (begin_line == 0 || end_line == 0) {
    return InvalidArgumentError(where + ": expected a category block between the lines " +
                                std::string(kBeginCategories) + " and " +
                                std::string(kEndCategories) + ", got " +
                                (begin_line == 0 ? "no begin marker" : "no end marker"));
  }
  if (out.categories.empty()) {
    return InvalidArgumentError(where + ":" + std::to_string(begin_line) +
                                ": expected at least one category label in the block, got none");
  }
  out.system_prompt = std::move(text);
  return out;
}

StatusOr<GuardPrompt> LoadGuardPrompt(const std::string& path) {
  StatusOr<std::string> text = ReadFileToString(path, kMaxGuardPromptBytes);
  if (!text.ok()) return text.status().WithPrefix("guard prompt file " + path);
  if (text->size() >= 2 && text->compare(text->size() - 2, 2, "\r\n") == 0) {
    text->resize(text->size() - 2);
  } else if (!text->empty() && text->back() == '\n') {
    text->pop_back();
  }
  return ParseGuardPrompt(std::move(*text), path);
}

StatusOr<std::string> RenderGuardPrompt(std::string_view user_text, const GuardPrompt& prompt) {
  std::vector<tokenizer::ChatMessage> messages = {{"system", prompt.system_prompt},
                                                  {"user", std::string(user_text)}};
  HG_ASSIGN_OR_RETURN(std::string s, tokenizer::RenderChat(messages, /*add_generation_prompt=*/true,
                                                           /*enable_thinking=*/false));
  return s + std::string(kCue);
}

StatusOr<GuardPromptIds> BuildPromptIds(const tokenizer::Tokenizer& tok, const GuardPrompt& prompt) {
  // Render with an empty user message and cut right after the user header.
  HG_ASSIGN_OR_RETURN(std::string empty, RenderGuardPrompt("", prompt));
  const size_t cut = empty.rfind(kUserHeader);
  if (cut == std::string::npos) return InternalError("guard prompt: no user header in the template output");
  const size_t end = cut + kUserHeader.size();
  GuardPromptIds ids;
  HG_ASSIGN_OR_RETURN(ids.prefix, tok.Encode(std::string_view(empty).substr(0, end)));
  HG_ASSIGN_OR_RETURN(ids.suffix, tok.Encode(std::string_view(empty).substr(end)));
  HG_ASSIGN_OR_RETURN(ids.safe_id, FirstToken(tok, "safe"));
  HG_ASSIGN_OR_RETURN(ids.unsafe_id, FirstToken(tok, "unsafe"));
  if (ids.safe_id == ids.unsafe_id) {
    return InternalError("guard prompt: \"safe\" and \"unsafe\" start with the same token");
  }
  HG_ASSIGN_OR_RETURN(ids.category_prefix, tok.Encode(kCategoryPrefix));
  for (const std::string& label : prompt.categories) {
    HG_ASSIGN_OR_RETURN(std::vector<int32_t> cont, LabelContinuation(tok, ids.category_prefix, label));
    ids.category_labels.push_back(std::move(cont));
  }
  ids.category_names = prompt.categories;
  for (std::string_view stop : {"<|im_end|>", "<|endoftext|>"})
    if (auto id = tok.TokenToId(stop)) ids.stop_ids.push_back(*id);
  HG_RETURN_IF_ERROR(CheckSplice(tok, ids, prompt));
  return ids;
}

}  // namespace haloguard::guard
