#!/usr/bin/env python3
"""Independent oracle for src/eval: recomputes the report's numbers from a scores JSONL with
plain, brute-force Python (standard library only), so the C++ can be checked against a second
implementation written from the definitions rather than from the C++ code.

Definitions (positive class = unsafe; flagged iff p_unsafe >= threshold):
  precision = TP/(TP+FP), recall = TP/P, F1 = 2TP/(2TP+FP+FN), FPR = FP/N, FNR = FN/P,
  accuracy = (TP+TN)/(P+N); a zero denominator gives None.
  AP = sum over distinct thresholds (descending) of (R_k - R_{k-1}) * P_k.
  ROC AUC = fraction of (unsafe, safe) pairs ranked correctly, ties 1/2 (all pairs enumerated).
  best F1 = max F1 over every distinct score used as threshold; ties -> highest threshold.
  ECE over bins floor(p*B) (clamped to B-1): sum n_b/N |mean p_b - frac_b|; MCE = max gap.
  NLL = mean softplus(-logit) for unsafe, softplus(logit) for safe; Brier = mean (p - y)^2.
  Temperature: beta = 1/T minimising mean NLL(beta * logit), found by bisection on the
  derivative (monotone), 200 halvings.

usage: metrics_oracle.py SCORES.jsonl [--adjudication A.jsonl] [--temperature T]
                         [--threshold 0.65] [--steps 100] [--bins 10]   (JSON to stdout)
"""
import argparse
import json
import math
import sys

GROUPS = ["English", "CJK", "Indic", "Arabic-script", "European/Semitic", "Southeast Asian",
          "Other", "Unknown"]


def softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def ratio(a, b):
    return None if b == 0 else a / b


def metrics(rows, t):
    tp = sum(1 for p, _, y in rows if y and p >= t)
    fn = sum(1 for p, _, y in rows if y and p < t)
    fp = sum(1 for p, _, y in rows if not y and p >= t)
    tn = sum(1 for p, _, y in rows if not y and p < t)
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn,
            "precision": ratio(tp, tp + fp), "recall": ratio(tp, tp + fn),
            "f1": ratio(2 * tp, 2 * tp + fp + fn), "fpr": ratio(fp, fp + tn),
            "fnr": ratio(fn, tp + fn), "accuracy": ratio(tp + tn, len(rows))}


def ranking(rows):
    pos = [p for p, _, y in rows if y]
    neg = [p for p, _, y in rows if not y]
    out = {"ap": None, "auc": None, "best_f1": None}
    if pos and neg:
        wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
        out["auc"] = wins / (len(pos) * len(neg))
    if pos:
        ap, prev_r, best = 0.0, 0.0, None
        for t in sorted({p for p, _, _ in rows}, reverse=True):
            m = metrics(rows, t)
            ap += (m["recall"] - prev_r) * m["precision"]
            prev_r = m["recall"]
            if best is None or m["f1"] > best[1]:
                best = (t, m["f1"])
        out["ap"] = ap
        out["best_f1"] = {"threshold": best[0], "f1": best[1]}
    return out


def calibration(rows, bins):
    if not rows:
        return None
    n = len(rows)
    cnt, sp, pos = [0] * bins, [0.0] * bins, [0] * bins
    for p, _, y in rows:
        b = min(max(int(math.floor(p * bins)), 0), bins - 1)
        cnt[b] += 1
        sp[b] += p
        pos[b] += 1 if y else 0
    ece = mce = 0.0
    for b in range(bins):
        if cnt[b]:
            gap = abs(sp[b] / cnt[b] - pos[b] / cnt[b])
            ece += cnt[b] / n * gap
            mce = max(mce, gap)
    return {"ece": ece, "mce": mce,
            "brier": sum((p - (1.0 if y else 0.0)) ** 2 for p, _, y in rows) / n,
            "nll": sum(softplus(-z if y else z) for _, z, y in rows) / n,
            "bin_counts": cnt}


def fit_temperature(rows):
    def d1(beta):
        return sum(-(z if y else -z) * sigmoid(-(z if y else -z) * beta) for _, z, y in rows)
    lo, hi = 0.0, 1.0
    while d1(hi) < 0:
        lo, hi = hi, hi * 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if d1(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 1.0 / (0.5 * (lo + hi))


def macro(ms):
    out = {}
    for k in ("f1", "precision", "recall", "fpr", "fnr", "accuracy"):
        vals = [m[k] for m in ms if m[k] is not None]
        out[k] = sum(vals) / len(vals) if vals else None
    return out


def slice_report(recs, args, adj):
    raw = [(r["p_unsafe"], r["logit"], r["label"] == "unsafe") for r in recs]
    rep = {"count": len(recs), "raw": metrics(raw, args.threshold), "ranking": ranking(raw),
           "sweep": [metrics(raw, k / args.steps) for k in range(args.steps + 1)],
           "calibration_raw": calibration(raw, args.bins)}
    if adj is not None:
        den = []
        for r, (p, z, y) in zip(recs, raw):
            key = (r["dataset"], r["id"])
            lab = adj.get(key, adj.get(("", r["id"])))
            den.append((p, z, y if lab is None else lab == "unsafe"))
        rep["denoised"] = metrics(den, args.threshold)
        rep["relabelled"] = sum(1 for a, b in zip(raw, den) if a[2] != b[2])
    if args.temperature:
        cal = [(sigmoid(z / args.temperature), z / args.temperature, y) for _, z, y in raw]
        rep["calibrated"] = metrics(cal, args.threshold)
        rep["calibration_after"] = calibration(cal, args.bins)
    groups = {}
    for r in recs:
        groups.setdefault(r["lang_group"], []).append(r)
    rep["lang_groups"] = {
        g: metrics([(r["p_unsafe"], r["logit"], r["label"] == "unsafe") for r in groups[g]],
                   args.threshold) for g in GROUPS if g in groups}
    cats = {}
    for r in recs:
        if r.get("category"):
            cats.setdefault(r["category"], []).append(r)
    rep["categories"] = {}
    for c, members in sorted(cats.items()):
        m = metrics([(r["p_unsafe"], r["logit"], r["label"] == "unsafe") for r in members],
                    args.threshold)
        counts = {}
        for r in members:
            if r["p_unsafe"] >= args.threshold and r.get("pred_category"):
                counts[r["pred_category"]] = counts.get(r["pred_category"], 0) + 1
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        m["top_predicted"] = top[0][0] if top else None
        m["top_predicted_count"] = top[0][1] if top else 0
        rep["categories"][c] = m
    return rep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scores")
    ap.add_argument("--adjudication")
    ap.add_argument("--temperature", type=float)
    ap.add_argument("--threshold", type=float, default=0.65)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--bins", type=int, default=10)
    args = ap.parse_args()
    recs = [json.loads(line) for line in open(args.scores, encoding="utf-8") if line.strip()]
    adj = None
    if args.adjudication:
        adj = {}
        for line in open(args.adjudication, encoding="utf-8"):
            if line.strip():
                a = json.loads(line)
                adj[(a.get("dataset") or "", a["id"])] = a["label"]
    order = []
    for r in recs:
        if r["dataset"] not in order:
            order.append(r["dataset"])
    out = {"datasets": {}, "order": order}
    for d in order:
        out["datasets"][d] = slice_report([r for r in recs if r["dataset"] == d], args, adj)
    out["overall"] = slice_report(recs, args, adj)
    out["macro"] = macro([out["datasets"][d]["raw"] for d in order])
    if adj is not None:
        out["macro_denoised"] = macro([out["datasets"][d]["denoised"] for d in order])
    six = [m for g, m in out["overall"]["lang_groups"].items() if g not in ("Other", "Unknown")]
    out["lang_group_macro"] = macro(six)
    out["fitted_temperature"] = fit_temperature(
        [(r["p_unsafe"], r["logit"], r["label"] == "unsafe") for r in recs])
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
