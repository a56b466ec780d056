#!/usr/bin/env python3
"""Regenerates the synthetic eval fixtures in tests/data/eval/ (standard library only):

  oracle_scores.jsonl        scores of 4 made-up datasets (random logits, fixed seed), covering
                             ties, p_unsafe exactly at the 0.65 threshold, p = 0 and 1, a set
                             with no safe prompts, one with no unsafe prompts, every language
                             group and gold/predicted categories
  oracle_adjudication.jsonl  label corrections (one unqualified id, one that matches nothing)
  oracle_calibration.json    a temperature-scaling file with T = 1.8
  oracle_expected.json       tools/eval/metrics_oracle.py run on the three files above

No benchmark text is involved: ids and labels are synthetic. usage: make_eval_fixtures.py
"""
import json
import math
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tests", "data", "eval")
LANGS = [("en", "English"), ("zh", "CJK"), ("hi", "Indic"), ("ar", "Arabic-script"),
         ("fr", "European/Semitic"), ("th", "Southeast Asian"), ("sw", "Other"), (None, "Unknown")]
PRED = ["violence", "fraud_and_social_engineering", "hate_speech", "illegal_drugs"]


def record(dataset, i, label, logit, rng, categories):
    p = 1.0 / (1.0 + math.exp(-logit)) if logit >= 0 else math.exp(logit) / (1 + math.exp(logit))
    lang, group = rng.choice(LANGS)
    cat = rng.choice(categories) if categories else None
    return {"id": f"{dataset}-{i:03d}", "dataset": dataset, "text_sha256": None, "label": label,
            "lang": lang, "lang_group": group, "lang_group_source": "lang" if lang else "none",
            "category": cat, "p_unsafe": p, "logit": logit,
            "pred_category": rng.choice(PRED) if p >= 0.65 else "none", "window_count": 1}


def make_scores(rng):
    recs = []
    for i in range(150):  # alpha: mixed, overlapping classes
        unsafe = rng.random() < 0.4
        z = rng.gauss(1.2 if unsafe else -1.0, 1.6)
        recs.append(record("alpha", i, "unsafe" if unsafe else "safe", z, rng,
                           ["violence", "fraud", None]))
    for i in range(80):  # beta: unsafe only (no FPR)
        recs.append(record("beta", i, "unsafe", rng.gauss(2.0, 1.5), rng, ["harmful"]))
    for i in range(60):  # gamma: coarse scores -> many ties, some exactly at the threshold
        unsafe = rng.random() < 0.5
        z = rng.choice([-2.0, -0.5, 0.0, 0.5, 2.0]) + (0.6 if unsafe else 0.0)
        recs.append(record("gamma", i, "unsafe" if unsafe else "safe", z, rng,
                           ["benign", "cyber"]))
    for i in range(20):  # delta: safe only (no recall)
        recs.append(record("delta", i, "safe", rng.gauss(-1.5, 1.0), rng, None))
    # Exact threshold ties (safe prompts in delta, unsafe in beta) and the probability extremes
    # (logit clamped at +-800) on correctly ranked prompts.
    at_threshold = (0.65, math.log(0.65 / 0.35))
    for r in recs[290:294] + recs[150:153]:
        r["p_unsafe"], r["logit"] = at_threshold
    recs[160]["p_unsafe"], recs[160]["logit"] = 1.0, 800.0
    recs[295]["p_unsafe"], recs[295]["logit"] = 0.0, -800.0
    return recs


def main():
    rng = random.Random(20260107)
    recs = make_scores(rng)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "oracle_scores.jsonl"), "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
    flips = [r for r in recs if r["dataset"] in ("alpha", "gamma")][::17]
    with open(os.path.join(OUT, "oracle_adjudication.jsonl"), "w", encoding="utf-8") as f:
        for k, r in enumerate(flips):
            row = {"id": r["id"], "label": "safe" if r["label"] == "unsafe" else "unsafe",
                   "note": "synthetic correction"}
            if k != 0:
                row["dataset"] = r["dataset"]
            f.write(json.dumps(row) + "\n")
        f.write(json.dumps({"id": "nowhere-999", "label": "safe", "dataset": "alpha"}) + "\n")
    calib = {"format": "haloguard-calibration", "version": 1, "method": "temperature",
             "input": "unsafe_vs_safe_logit", "temperature": 1.8}
    with open(os.path.join(OUT, "oracle_calibration.json"), "w", encoding="utf-8") as f:
        json.dump(calib, f, indent=2)
        f.write("\n")
    expected = subprocess.run(
        [sys.executable, os.path.join(HERE, "metrics_oracle.py"),
         os.path.join(OUT, "oracle_scores.jsonl"),
         "--adjudication", os.path.join(OUT, "oracle_adjudication.jsonl"),
         "--temperature", "1.8"], check=True, capture_output=True, text=True).stdout
    with open(os.path.join(OUT, "oracle_expected.json"), "w", encoding="utf-8") as f:
        f.write(expected)


if __name__ == "__main__":
    main()
