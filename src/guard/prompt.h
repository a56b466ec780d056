// The guard prompt: the model card's system prompt byte-for-byte, rendered with the Qwen3.5 chat
// template (generation prompt on, thinking off) plus the cue "Safety: ", and its fixed token-id
// pieces (prefix before the user text, suffix after it, verdict and category ids).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "guard/scorer.h"
#include "tokenizer/tokenizer.h"

namespace haloguard::guard {

// The model card's GUARD_SYSTEM_PROMPT (no trailing newline).
std::string_view GuardSystemPrompt();

// A guard system prompt and the category labels of its <BEGIN UNSAFE CONTENT CATEGORIES> block,
// in prompt order: what the label trie scores and every result reports.
struct GuardPrompt {
  std::string system_prompt;
  std::vector<std::string> categories;
};

// The card's prompt, byte for byte, and its 29 categories (== kCategories).
const GuardPrompt& DefaultGuardPrompt();

// Parses a system prompt: the lines between "<BEGIN UNSAFE CONTENT CATEGORIES>" and
// "<END UNSAFE CONTENT CATEGORIES>" (each marker alone on its line) are the labels, one per
// line, surrounding spaces ignored, blank lines skipped. Errors (INVALID_ARGUMENT, prefixed with
// `source` and naming the line): ill-formed UTF-8, a missing or repeated marker, an empty block,
// a label that is not [A-Za-z0-9_-]+ or is "none", a repeated label.
StatusOr<GuardPrompt> ParseGuardPrompt(std::string text, std::string_view source = "guard prompt");

// Reads a --guard-prompt file (at most 1 MiB) and parses it. One trailing newline (LF or CRLF),
// which editors add, is dropped: the file holds the prompt text as the card's literal does.
StatusOr<GuardPrompt> LoadGuardPrompt(const std::string& path);

// The full prompt string for `user_text` exactly as the card's quickstart builds it:
// apply_chat_template([system, user], add_generation_prompt=True, enable_thinking=False) + "Safety: ".
StatusOr<std::string> RenderGuardPrompt(std::string_view user_text,
                                        const GuardPrompt& prompt = DefaultGuardPrompt());

// Builds the fixed id pieces from `tok` for `prompt` and checks the splice: for probe texts,
// prefix + Encode(strip(text)) + suffix must equal Encode(RenderGuardPrompt(text)), so a window's
// ids are those of the fully rendered string (INTERNAL error otherwise, naming the probe).
StatusOr<GuardPromptIds> BuildPromptIds(const tokenizer::Tokenizer& tok,
                                        const GuardPrompt& prompt = DefaultGuardPrompt());

// The category continuation text after "Safety: ": "unsafe\nCategory:".
inline constexpr std::string_view kCategoryPrefix = "unsafe\nCategory:";

}  // namespace haloguard::guard
