// The guard prompt: the model card's system prompt byte-for-byte, rendered with the Qwen3.5 chat
// template (generation prompt on, thinking off) plus the cue "Safety: ", and its fixed token-id
// pieces (prefix before the user text, suffix after it, verdict and category ids).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "guard/scorer.h"
#include "tokenizer/tokenizer.h"

namespace haloguard::guard {

// The model card's GUARD_SYSTEM_PROMPT (no trailing newline).
std::string_view GuardSystemPrompt();

// The full prompt string for `user_text` exactly as the card's quickstart builds it:
// apply_chat_template([system, user], add_generation_prompt=True, enable_thinking=False) + "Safety: ".
StatusOr<std::string> RenderGuardPrompt(std::string_view user_text);

// Builds the fixed id pieces from `tok` and checks the splice: for probe texts,
// prefix + Encode(strip(text)) + suffix must equal Encode(RenderGuardPrompt(text)), so a window's
// ids are those of the fully rendered string (INTERNAL error otherwise, naming the probe).
StatusOr<GuardPromptIds> BuildPromptIds(const tokenizer::Tokenizer& tok);

// The category continuation text after "Safety: ": "unsafe\nCategory:".
inline constexpr std::string_view kCategoryPrefix = "unsafe\nCategory:";

}  // namespace haloguard::guard
