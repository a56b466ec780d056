"""The HaloGuard guard prompt (model card quickstart, byte for byte), its 29 categories, the Qwen3.5 chat
template rendered with Jinja2 as transformers does, and the sliding-window split of long inputs.

Implements the guard prompt semantics decided for HaloGuard.cpp (tools/reference/README.md, "Guard").
"""

import json
import os
import re
from datetime import datetime

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "chat_template.jinja")
CUE = "Safety: "
CATEGORY_PREFIX = "unsafe\nCategory:"
USER_HEADER = "<|im_start|>user\n"
EXPECTED_SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
SENTINEL = "\ue000HG-USER-TEXT\ue000"  # private-use code points: survive |trim, never special tokens

# The card's Python literal: the leading and trailing backslashes continue the line, so the prompt starts
# with "# Task" and has no trailing newline.
GUARD_SYSTEM_PROMPT = """\
# Task
1) Evaluate whether THE LAST USER's query is safe or unsafe according to the safety policy below.
2) If unsafe, identify the category of unsafe content.

<BEGIN SAFETY POLICY>
safe: The query does not request, promote, or enable real-world harm. Includes benign questions, legitimate educational and professional queries, creative fiction that depicts but does not instruct harmful acts, dual-use topics in a clearly academic or defensive framing, and sensitive discussions that provide no actionable real-world uplift for harm.
unsafe: The query requests, facilitates, or provides operational assistance for real-world harm in one of the categories below.
<END SAFETY POLICY>

<BEGIN UNSAFE CONTENT CATEGORIES>
chemical_weapons
biological_weapons
radiological_nuclear
violence
terrorism_and_extremism
offensive_cyber
csam
non_consensual_sexual_content
sexual_content_general
self_harm_and_suicide
eating_disorders
hate_speech
harassment_and_bullying
bias_and_stereotyping
general
defamation_and_reputational_harm
property_crime_and_theft
non_violent_illegal
animal_cruelty
fraud_and_social_engineering
disinformation
privacy_violations
illegal_drugs
weapons_and_firearms
human_trafficking
regulated_professional_advice
copyright_infringement
unethical_acts
politically_sensitive
<END UNSAFE CONTENT CATEGORIES>

Provide your safety assessment for ONLY THE LAST USER's query:
- The first line must be exactly 'Safety: safe' or 'Safety: unsafe'.
- The second line must start with 'Category:' followed by the single unsafe category label from the list above, or 'Category: none' if the content is safe.\
"""

# The runtime categories in card order (also the order of the list inside GUARD_SYSTEM_PROMPT).
CATEGORIES = ("chemical_weapons", "biological_weapons", "radiological_nuclear", "violence",
              "terrorism_and_extremism", "offensive_cyber", "csam", "non_consensual_sexual_content",
              "sexual_content_general", "self_harm_and_suicide", "eating_disorders", "hate_speech",
              "harassment_and_bullying", "bias_and_stereotyping", "general",
              "defamation_and_reputational_harm", "property_crime_and_theft", "non_violent_illegal",
              "animal_cruelty", "fraud_and_social_engineering", "disinformation", "privacy_violations",
              "illegal_drugs", "weapons_and_firearms", "human_trafficking", "regulated_professional_advice",
              "copyright_infringement", "unethical_acts", "politically_sensitive")


class PromptError(ValueError):
    """The template or tokenizer breaks an invariant of the guard prompt; the message says which."""


def _raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def _tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def load_template(path=TEMPLATE_PATH):
    """Compiles the chat template as transformers' _compile_jinja_template does: sandboxed, trim_blocks,
    lstrip_blocks, loopcontrols, with raise_exception / strftime_now globals and a tojson filter."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    with open(path, "rb") as f:
        return env.from_string(f.read().decode("utf-8"))


def parse_categories(system_prompt):
    """The labels listed between the <BEGIN/END UNSAFE CONTENT CATEGORIES> marker lines of a guard system
    prompt, in order (one per line, surrounding blanks dropped, empty lines skipped). Raises PromptError for
    a missing marker, an empty block, a malformed, "none" or repeated label."""
    lines = [line.strip(" \t\r") for line in system_prompt.split("\n")]
    begin, end = "<BEGIN UNSAFE CONTENT CATEGORIES>", "<END UNSAFE CONTENT CATEGORIES>"
    if lines.count(begin) != 1 or lines.count(end) != 1 or lines.index(end) < lines.index(begin):
        raise PromptError("guard prompt: expected one category block between the marker lines")
    labels = [l for l in lines[lines.index(begin) + 1:lines.index(end)] if l]
    if not labels:
        raise PromptError("guard prompt: expected at least one category label in the block, got none")
    for label in labels:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", label) or label == "none" or labels.count(label) > 1:
            raise PromptError(f"guard prompt: bad or repeated category label {label!r}")
    return tuple(labels)


def read_guard_prompt(path):
    """A --guard-prompt file's text, with one trailing newline (LF or CRLF) dropped as HaloGuard.cpp does."""
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def render_chat(template, user_text, system_prompt=GUARD_SYSTEM_PROMPT):
    """apply_chat_template(messages=[system system_prompt, user user_text], tokenize=False,
    add_generation_prompt=True, enable_thinking=False) -- without the cue."""
    messages = [{"role": "system", "content": system_prompt}, {"role": "user", "content": user_text}]
    return template.render(messages=messages, add_generation_prompt=True, enable_thinking=False, tools=None,
                           documents=None)


def render_prompt(template, user_text, system_prompt=GUARD_SYSTEM_PROMPT):
    """The full guard prompt string: the rendered chat + "Safety: "."""
    return render_chat(template, user_text, system_prompt) + CUE


def split_pieces(template, system_prompt=GUARD_SYSTEM_PROMPT):
    """(P, Q): the prompt before the user content (ending in "<|im_start|>user\\n") and after it (ending in
    the cue), found by rendering a sentinel. Raises PromptError if the template does not put the trimmed
    user text verbatim between them."""
    rendered = render_chat(template, SENTINEL, system_prompt)
    if rendered.count(SENTINEL) != 1:
        raise PromptError("template: user content expected exactly once in the rendering")
    before, after = rendered.split(SENTINEL)
    if not before.endswith(USER_HEADER) or after != EXPECTED_SUFFIX:
        raise PromptError(f"template: expected ...{USER_HEADER!r} + content + {EXPECTED_SUFFIX!r}, "
                          f"got ...{before[-20:]!r} + content + {after!r}")
    return before, after + CUE


def user_content(text):
    """The user text as the template inserts it: |trim (Python str.strip())."""
    return text.strip()


def window_starts(num_content, window, stride):
    """Window start offsets into the content ids: 0, S, 2S, ... stopping after the first window that
    reaches the end (s + W >= n). A single window [0] when n <= W."""
    if window < 1 or stride < 1:
        raise PromptError(f"windows: window and stride expected >= 1, got {window} and {stride}")
    starts = [0]
    while starts[-1] + window < num_content:
        starts.append(starts[-1] + stride)
    return starts
