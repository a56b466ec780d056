#!/usr/bin/python3
"""Compares two golden/dump safetensors files tensor by tensor and names the first layer that diverges.

Usage: compare_layers.py CANDIDATE.safetensors REFERENCE.safetensors [--atol A] [--rtol R] [--main-only]
A tensor passes when max|cand - ref| <= atol + rtol * max|ref| (a tensor-wide scale, so near-zero entries
do not inflate the error). Tensors are visited in forward order (input_ids, embed, layer.0, its parts,
layer.1, ..., final_norm, logits...). Exit status: 0 all compared tensors pass, 1 a tensor diverges or
differs in shape, 2 a file cannot be read.
"""

import argparse
import re
import sys

import numpy as np

from safetensors_io import SafetensorsError, SafetensorsFile

DEFAULT_ATOL = 1e-5
DEFAULT_RTOL = 1e-3
PART_ORDER = ["input_norm", "conv_out", "beta", "g", "delta_out", "gated_norm", "attn_q", "attn_k", "attn_core",
              "mixer_out", "post_norm", "mlp_out"]


def forward_order(name):
    """Sort key placing tensors in the order the forward pass produces them."""
    if name == "input_ids":
        return (0, 0, 0, name)
    if name == "embed":
        return (1, 0, 0, name)
    m = re.fullmatch(r"layer\.(\d+)(\.(.+))?", name)
    if m:
        # a layer's parts, in the order qwen35.py computes them, come before the layer output itself
        part = m.group(3)
        rank = PART_ORDER.index(part) if part in PART_ORDER else len(PART_ORDER)
        return (2, int(m.group(1)), len(PART_ORDER) + 1 if part is None else rank, name)
    if name == "final_norm":
        return (3, 0, 0, name)
    return (4, 0, 0, name)


def load(path):
    f = SafetensorsFile(path)
    return {n: f.raw(n) if f.dtype(n) not in ("F32", "F16", "BF16", "F64") else f.float64(n) for n in f.names()}


def compare(cand, ref, atol, rtol, main_only=False):
    """Returns (rows, first_bad) where rows = [(name, shape, max_abs, scale, ok, note)]."""
    rows, first_bad = [], None
    for name in sorted(set(cand) & set(ref), key=forward_order):
        if main_only and name.count(".") > 1:
            continue
        a, b = np.asarray(cand[name]), np.asarray(ref[name])
        if a.shape != b.shape:
            rows.append((name, b.shape, float("nan"), float("nan"), False, f"shape {list(a.shape)} vs {list(b.shape)}"))
        else:
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            finite = bool(np.all(np.isfinite(a64)))
            max_abs = float(np.max(np.abs(a64 - b64))) if a.size else 0.0
            scale = float(np.max(np.abs(b64))) if b.size else 0.0
            ok = finite and max_abs <= atol + rtol * scale
            rows.append((name, b.shape, max_abs, scale, ok, "" if finite else "non-finite values"))
        if not rows[-1][4] and first_bad is None:
            first_bad = name
    return rows, first_bad


def report(rows, cand, ref, first_bad, out):
    print(f"{'tensor':32} {'shape':>16} {'max_abs':>11} {'max|ref|':>11} {'rel':>10}  status", file=out)
    for name, shape, max_abs, scale, ok, note in rows:
        rel = max_abs / scale if scale > 0 else max_abs
        status = "ok" if ok else "DIVERGES" + (f" ({note})" if note else "")
        print(f"{name:32} {str(list(shape)):>16} {max_abs:11.3e} {scale:11.3e} {rel:10.2e}  {status}", file=out)
    for label, names in (("only in candidate", set(cand) - set(ref)), ("only in reference", set(ref) - set(cand))):
        if names:
            print(f"{label}: {', '.join(sorted(names, key=forward_order))}", file=out)
    if first_bad is None:
        print("all compared tensors within tolerance", file=out)
    else:
        m = re.match(r"layer\.(\d+)", first_bad)
        where = f" (decoder layer {m.group(1)})" if m else ""
        print(f"first divergence: {first_bad}{where}", file=out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("candidate")
    ap.add_argument("reference")
    ap.add_argument("--atol", type=float, default=DEFAULT_ATOL)
    ap.add_argument("--rtol", type=float, default=DEFAULT_RTOL)
    ap.add_argument("--main-only", action="store_true", help="skip the layer.{L}.<part> taps")
    args = ap.parse_args(argv)
    try:
        cand, ref = load(args.candidate), load(args.reference)
    except SafetensorsError as e:
        print(f"compare_layers: {e}", file=sys.stderr)
        return 2
    rows, first_bad = compare(cand, ref, args.atol, args.rtol, args.main_only)
    report(rows, cand, ref, first_bad, sys.stdout)
    return 0 if first_bad is None else 1


if __name__ == "__main__":
    sys.exit(main())
