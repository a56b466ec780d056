#!/usr/bin/python3
"""Runs the float64 reference on a checkpoint and writes goldens as a safetensors file (float32 tensors).

Usage: gen_goldens.py --model DIR --ids 1,2,3,... --out FILE.safetensors [--split K] [--recurrent]
                      [--no-intermediates] [--adapter DIR]
Tensors: input_ids I32 [T]; embed, layer.{L}, final_norm [T, D]; logits [T, V] (all positions, full
vocabulary); with --split K also logits_split [T, V] (first K tokens, then the rest from the saved
state); unless --no-intermediates, the per-layer taps layer.{L}.<part> (see README.md).
"""

import argparse
import hashlib
import os
import sys

import numpy as np

from qwen35 import Qwen35
from safetensors_io import write_file

GENERATOR = "tools/reference/gen_goldens.py"


def parse_ids(text):
    """'1,2,3' -> [1, 2, 3]; raises ValueError naming the bad entry."""
    ids = []
    for i, part in enumerate(text.split(",")):
        part = part.strip()
        if not part.lstrip("-").isdigit():
            raise ValueError(f"--ids: entry {i} expected an integer, got {part!r}")
        ids.append(int(part))
    return ids


def checkpoint_digest(model_dir):
    """sha256 over config.json and every *.safetensors / index file, in name order (provenance)."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(model_dir)):
        if name == "config.json" or name.endswith((".safetensors", ".safetensors.index.json")):
            h.update(name.encode())
            with open(os.path.join(model_dir, name), "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()


def split_logits(model, ids, split, delta_mode):
    """Logits [T, V] from two calls sharing one state: ids[:split], then ids[split:]."""
    if not 0 < split < len(ids):
        raise ValueError(f"--split expected 0 < K < {len(ids)} (the number of ids), got {split}")
    state = model.new_state()
    first = model.forward(ids[:split], state, delta_mode)
    rest = model.forward(ids[split:], state, delta_mode)
    return model.logits(np.concatenate([first, rest]))


def goldens(model, ids, split=None, recurrent=False, intermediates=True):
    """Returns {name: (dtype, array)} ready for safetensors_io.write_file."""
    mode = "recurrent" if recurrent else "auto"
    taps = {}
    hidden = model.forward(ids, None, mode, taps)
    out = {"input_ids": ("I32", np.asarray(ids, dtype=np.int32))}
    for name, value in taps.items():
        is_main = name in ("embed", "final_norm") or name.count(".") == 1
        if is_main or intermediates:
            out[name] = ("F32", value)
    out["logits"] = ("F32", model.logits(hidden))
    if split is not None:
        out["logits_split"] = ("F32", split_logits(model, ids, split, mode))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="checkpoint directory (config.json + safetensors)")
    ap.add_argument("--ids", required=True, help="comma-separated token ids")
    ap.add_argument("--out", required=True, help="output .safetensors file")
    ap.add_argument("--split", type=int, help="also run ids[:K] then ids[K:] from the saved state")
    ap.add_argument("--recurrent", action="store_true", help="force the recurrent delta rule everywhere")
    ap.add_argument("--no-intermediates", action="store_true", help="only the main tensors")
    ap.add_argument("--bf16-activations", action="store_true",
                    help="round every decoder projection's input to bf16 (the engine's --weights bf16 mode)")
    ap.add_argument("--adapter", help="PEFT LoRA adapter directory merged in float64 (lora.py)")
    args = ap.parse_args(argv)
    try:
        ids = parse_ids(args.ids)
        model = Qwen35(args.model, bf16_activations=args.bf16_activations, adapter_dir=args.adapter)
        tensors = goldens(model, ids, args.split, args.recurrent, not args.no_intermediates)
    except (ValueError, OSError) as e:
        print(f"gen_goldens: {e}", file=sys.stderr)
        return 1
    meta = {"generator": GENERATOR, "precision": "float64 computed, stored float32",
            "delta_rule": "recurrent" if args.recurrent else "auto (chunked for multi-token calls)",
            "split": str(args.split) if args.split is not None else "none",
            "activations": "bf16-rounded projection inputs" if args.bf16_activations else "float64",
            "checkpoint_sha256": checkpoint_digest(args.model), "adapter": args.adapter or "none",
            "num_layers": str(model.cfg.num_hidden_layers)}
    write_file(args.out, tensors, meta)
    if args.split is not None:
        diff = np.max(np.abs(tensors["logits_split"][1] - tensors["logits"][1]))
        print(f"gen_goldens: max |logits_split - logits| = {diff:.3e}", file=sys.stderr)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
