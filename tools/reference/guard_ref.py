#!/usr/bin/python3
"""Guard reference: HaloGuard verdict, 29 category scores and sliding windows for user texts, computed
with the float64 model (qwen35.py), the real chat template (Jinja2) and the HF tokenizer oracle.

Usage: guard_ref.py --model DIR --tokenizer-dir DIR --input FILE.jsonl --out FILE.jsonl
                    [--window 1200 --stride 256 --threshold 0.65] [--guard-prompt FILE] [--adapter DIR]
Input lines: {"text": str} or {"query": str} or {"messages": [{role, content}]} (last user message), with
an optional "id" echoed back. Output: one JSON object per input line (README.md, "Guard output").
"""

import argparse
import json
import sys

import numpy as np

import guard_prompt as gp
from hf_tokenizer import HfTokenizer
from ops import softmax
from qwen35 import Qwen35

DEFAULT_WINDOW, DEFAULT_STRIDE, DEFAULT_THRESHOLD = 1200, 256, 0.65


class GuardError(ValueError):
    """An input or a tokenization invariant the guard semantics rely on is violated."""


class LabelTrie:
    """Trie over the label continuations cont(L) = encode(R + " " + L)[len(encode(R)):]."""

    def __init__(self):
        self.children, self.label = {}, None

    @staticmethod
    def build(conts):
        root = LabelTrie()
        for label, toks in conts.items():
            if not toks:
                raise GuardError(f"categories: continuation of '{label}' expected >= 1 token, got 0")
            node = root
            for tok in toks:
                node = node.children.setdefault(tok, LabelTrie())
            node.label = label
        root._check_prefix_free()
        return root

    def _check_prefix_free(self):
        """P(L) is a distribution over the labels only if no continuation is a prefix of another."""
        if self.label is not None and self.children:
            raise GuardError(f"categories: continuation of '{self.label}' expected not to be a prefix of "
                             f"another label's, but it is")
        for child in self.children.values():
            child._check_prefix_free()


class GuardReference:
    """The guard semantics over a model and a tokenizer. Not thread-safe."""

    def __init__(self, model, tokenizer, window=DEFAULT_WINDOW, stride=DEFAULT_STRIDE,
                 threshold=DEFAULT_THRESHOLD, template=None, system_prompt=gp.GUARD_SYSTEM_PROMPT):
        self.model, self.tok = model, tokenizer
        self.window, self.stride, self.threshold = window, stride, threshold
        self.template = template or gp.load_template()
        self.system_prompt, self.categories = system_prompt, gp.parse_categories(system_prompt)
        self.p_str, self.q_str = gp.split_pieces(self.template, system_prompt)
        self._setup_ids()

    def _setup_ids(self):
        """Fixed token ids: P, Q, safe/unsafe (first token, no special tokens), R and the label trie."""
        labels = [gp.CATEGORY_PREFIX + " " + c for c in self.categories]
        p, q = self.tok.encode_many([self.p_str, self.q_str], True)
        safe, unsafe, pre, *fulls = self.tok.encode_many(["safe", "unsafe", gp.CATEGORY_PREFIX] + labels, False)
        self.p_ids, self.q_ids, self.pre_ids = p, q, pre
        self.safe_id, self.unsafe_id = safe[0], unsafe[0]
        conts = {}
        for label, full in zip(self.categories, fulls):
            if full[:len(pre)] != pre:
                raise GuardError(f"categories: encode(R + ' {label}') expected to start with encode(R) = {pre}, "
                                 f"got {full[:len(pre) + 2]}")
            conts[label] = full[len(pre):]
        self.conts, self.trie = conts, LabelTrie.build(conts)

    def prepare(self, texts):
        """Tokenizes every string the texts need in one oracle call (later lookups hit the cache)."""
        contents = [gp.user_content(t) for t in texts]
        self.tok.encode_many([gp.render_prompt(self.template, t, self.system_prompt) for t in texts] + contents, True)

    def windows(self, text):
        """Token ids of every window of `text` (the full prompt when the content fits one window)."""
        content = self.tok.encode(gp.user_content(text), True)
        if len(content) <= self.window:
            full = self.tok.encode(gp.render_prompt(self.template, text, self.system_prompt), True)
            if full != self.p_ids + content + self.q_ids:
                raise GuardError("windows: encode(prompt) expected to equal P + encode(content) + Q, got a "
                                 "different tokenization at the user-text boundary")
            return [full]
        return [self.p_ids + content[s:s + self.window] + self.q_ids
                for s in gp.window_starts(len(content), self.window, self.stride)]

    def verdict(self, ids):
        """Runs a window from a fresh state; returns (p_safe, p_unsafe, the state after the window)."""
        state = self.model.new_state()
        hidden = self.model.forward(ids, state)
        logit = self.model.logits(hidden[-1:], [self.safe_id, self.unsafe_id])[0]
        p_safe, p_unsafe = softmax(logit)
        return float(p_safe), float(p_unsafe), state

    def category_scores(self, state):
        """P(L) for the 29 labels: run R from the window's state, then walk the trie; at each node the
        softmax over the logits of that node's child tokens only (forked state per child)."""
        hidden = self.model.forward(self.pre_ids, state)
        scores = {}
        self._visit(self.trie, state, hidden[-1], 1.0, scores)
        return {label: scores[label] for label in self.categories}

    def _visit(self, node, state, last_hidden, prob, scores):
        toks = sorted(node.children)
        probs = softmax(self.model.logits(last_hidden[None, :], toks)[0])
        for tok, p in zip(toks, probs):
            child = node.children[tok]
            if child.label is not None:
                scores[child.label] = prob * float(p)
                continue
            fork = state.fork()
            hidden = self.model.forward([tok], fork)
            self._visit(child, fork, hidden[-1], prob * float(p), scores)

    def classify(self, text):
        """Full guard result for one user text (see README.md, "Guard output")."""
        return self.decide(self.score(text))

    def score(self, text):
        """Threshold-independent scores: every window's p_unsafe, the selected (highest p_unsafe, first on
        ties) window's p_safe and its 29 category scores."""
        windows = self.windows(text)
        risks, best, best_state = [], 0, None
        for i, ids in enumerate(windows):
            p_safe, p_unsafe, state = self.verdict(ids)
            risks.append(p_unsafe)
            if i == 0 or p_unsafe > risks[best]:
                best, best_p_safe, best_state = i, p_safe, state
        return {"p_safe": best_p_safe, "p_unsafe": risks[best], "category_scores": self.category_scores(best_state),
                "window_count": len(windows), "selected_window_index": best, "window_risk_scores": risks,
                "prompt_ids": windows[0]}

    def decide(self, scored):
        """Applies the threshold: unsafe iff p_unsafe >= threshold; category = the top label (first in card
        order on ties) when unsafe, else "none"."""
        scores = scored["category_scores"]
        unsafe = scored["p_unsafe"] >= self.threshold
        top = max(self.categories, key=lambda c: (scores[c], -self.categories.index(c)))
        category = top if unsafe else "none"
        result = {"p_safe": scored["p_safe"], "p_unsafe": scored["p_unsafe"],
                  "safety_label": "unsafe" if unsafe else "safe", "category": category, "category_scores": scores}
        result.update({k: scored[k] for k in ("window_count", "selected_window_index", "window_risk_scores")})
        result.update({"raw_response": f"Safety: {'unsafe' if unsafe else 'safe'}\nCategory: {category}",
                       "threshold": self.threshold, "prompt_ids": scored["prompt_ids"]})
        return result


def input_text(record, line_no):
    """The user text of one input line: 'text', 'query', or the last user message of 'messages'."""
    if not isinstance(record, dict):
        raise GuardError(f"line {line_no}: expected a JSON object, got {type(record).__name__}")
    for key in ("text", "query"):
        if isinstance(record.get(key), str):
            return record[key]
    messages = record.get("messages")
    if isinstance(messages, list):
        users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        if users and isinstance(users[-1].get("content"), str):
            return users[-1]["content"]
    raise GuardError(f"line {line_no}: expected a string 'text' or 'query', or 'messages' with a user "
                     f"message of string content")


def read_inputs(path):
    """[(id or None, text or GuardError)] for every non-blank line of a JSONL file."""
    out = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                out.append((None, GuardError(f"line {n}: expected UTF-8 JSON, got {e}")))
                continue
            item_id = record.get("id") if isinstance(record, dict) else None
            try:
                out.append((item_id, input_text(record, n)))
            except GuardError as e:
                out.append((item_id, e))
    return out


def run(guard, inputs, out):
    """Classifies every input, writing one JSON line each; returns the number of failed inputs."""
    guard.prepare([t for _, t in inputs if isinstance(t, str) and _encodable(t)])
    failures = 0
    for item_id, text in inputs:
        try:
            if isinstance(text, Exception):
                raise text
            result = guard.classify(text)
        except ValueError as e:  # GuardError, TokenizerError, or ids the model rejects
            result, failures = {"error": str(e)}, failures + 1
        if item_id is not None:
            result = {"id": item_id, **result}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return failures


def _encodable(text):
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer-dir", required=True, help="directory with tokenizer.json (+ tokenizer_config.json)")
    ap.add_argument("--input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--window", type=int, default=DEFAULT_WINDOW)
    ap.add_argument("--stride", type=int, default=DEFAULT_STRIDE)
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--guard-prompt", help="system prompt file (its category block defines the labels)")
    ap.add_argument("--adapter", help="PEFT LoRA adapter directory, merged in float64 (lora.py)")
    args = ap.parse_args(argv)
    try:
        prompt = gp.read_guard_prompt(args.guard_prompt) if args.guard_prompt else gp.GUARD_SYSTEM_PROMPT
        guard = GuardReference(Qwen35(args.model, adapter_dir=args.adapter), HfTokenizer(args.tokenizer_dir), args.window, args.stride,
                               args.threshold, system_prompt=prompt)
        inputs = read_inputs(args.input)
        with open(args.out, "w", encoding="utf-8") as out:
            failures = run(guard, inputs, out)
    except (ValueError, OSError) as e:
        print(f"guard_ref: {e}", file=sys.stderr)
        return 2
    if failures:
        print(f"guard_ref: {failures} of {len(inputs)} inputs failed (see 'error' in {args.out})", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
