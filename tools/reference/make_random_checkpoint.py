#!/usr/bin/python3
"""Writes random-weight Qwen3.5 checkpoints (config.json + safetensors, real HF tensor names) for testing
the reference itself; the C++ `haloguard make-checkpoint` makes the fixtures the goldens are built from.

Usage: make_random_checkpoint.py --preset tiny|odd|grouped --out DIR [--seed N] [--dtype bf16|f32]
                                 [--layout vlm|text] [--lm-head] [--shards N] [--vocab N]
       make_random_checkpoint.py --config CONFIG.json --out DIR ...
"""

import argparse
import json
import os
import sys

import numpy as np

from config import parse_config
from safetensors_io import write_file, write_sharded
from weights import expected_tensors

DTYPE_NAMES = {"bf16": "BF16", "f32": "F32", "f16": "F16"}


def tiny_text_config(vocab_size=1024):
    """The assignment's tiny config: hidden 64, 4 heads / 2 kv heads of 16, linear heads 2 key / 4 value
    of 16 (Hv > Hk grouping), conv 4, MLP 96, 8 layers with a full-attention layer every 4th."""
    return {"model_type": "qwen3_5_text", "vocab_size": vocab_size, "hidden_size": 64, "intermediate_size": 96,
            "num_hidden_layers": 8, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
            "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 16,
            "linear_value_head_dim": 16, "linear_conv_kernel_dim": 4, "full_attention_interval": 4,
            "rms_norm_eps": 1e-6, "tie_word_embeddings": True,
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.25,
                                "mrope_section": [1, 1, 0], "mrope_interleaved": True}}


def odd_text_config(vocab_size=517):
    """Odd sizes everywhere: hidden 40, 3 kv groups of 2 heads with head_dim 12 (rotary 6), linear heads
    1 key / 3 value with Dk 10 / Dv 6, conv 3, MLP 50, explicit layer_types starting with attention."""
    return {"model_type": "qwen3_5_text", "vocab_size": vocab_size, "hidden_size": 40, "intermediate_size": 50,
            "num_hidden_layers": 5, "num_attention_heads": 6, "num_key_value_heads": 3, "head_dim": 12,
            "linear_num_key_heads": 1, "linear_num_value_heads": 3, "linear_key_head_dim": 10,
            "linear_value_head_dim": 6, "linear_conv_kernel_dim": 3, "rms_norm_eps": 1e-5,
            "layer_types": ["full_attention", "linear_attention", "linear_attention", "full_attention",
                            "linear_attention"],
            "tie_word_embeddings": False, "rope_theta": 1000000.0, "partial_rotary_factor": 0.5}


PRESETS = {"tiny": tiny_text_config, "odd": odd_text_config}


def as_layout(text_cfg, layout):
    """Wraps a flat text config as a Qwen3_5ForConditionalGeneration config ('vlm') or keeps it flat."""
    if layout == "text":
        return dict(text_cfg, architectures=["Qwen3_5ForCausalLM"])
    inner = dict(text_cfg, model_type="qwen3_5_text")
    return {"architectures": ["Qwen3_5ForConditionalGeneration"], "model_type": "qwen3_5",
            "text_config": inner, "tie_word_embeddings": inner.get("tie_word_embeddings", False)}


def random_tensor(rng, rel_name, shape):
    """Values scaled so activations stay O(1): projections ~ N(0, 1/fan_in), embeddings ~ N(0, 1/16) (tied logits ~ N(0, D/16)),
    zero-centred norm weights ~ N(0, 0.1) (HF init 0), gated-norm weight ~ 1 + N(0, 0.1) (HF init 1),
    conv taps ~ N(0, 1/K), A = exp(A_log) ~ U(0.05, 4), dt_bias ~ 1 + N(0, 0.3)."""
    if rel_name.endswith("A_log"):
        return np.log(rng.uniform(0.05, 4.0, shape))
    if rel_name.endswith("dt_bias"):
        return 1.0 + 0.3 * rng.standard_normal(shape)
    if rel_name.endswith("linear_attn.norm.weight"):
        return 1.0 + 0.1 * rng.standard_normal(shape)
    if len(shape) == 1:
        return 0.1 * rng.standard_normal(shape)
    if rel_name.endswith("conv1d.weight"):
        return rng.standard_normal(shape) / np.sqrt(shape[-1])
    if rel_name.endswith("embed_tokens.weight"):
        return 0.25 * rng.standard_normal(shape)
    return rng.standard_normal(shape) / np.sqrt(shape[1])


def make_tensors(config, seed, dtype="bf16", lm_head=False, extras=False):
    """config.json dict -> {HF name: (safetensors dtype, float64 values)}. A_log and the gated-norm
    weight are stored F32 as in the official Qwen3.5 checkpoints when dtype is bf16."""
    cfg = parse_config(config)
    prefix = "model.language_model." if cfg.nested else "model."
    rng = np.random.default_rng(seed)
    st = DTYPE_NAMES[dtype]
    out = {}
    for rel, shape in sorted(expected_tensors(cfg).items()):
        keep_f32 = rel.endswith(("A_log", "linear_attn.norm.weight"))
        out[prefix + rel] = ("F32" if keep_f32 else st, random_tensor(rng, rel, shape))
    if lm_head or not cfg.tie_word_embeddings:
        out["lm_head.weight"] = (st, random_tensor(rng, "lm_head.weight", (cfg.vocab_size, cfg.hidden_size)))
    if extras:  # ignored by the loader: vision tower and MTP head tensors
        out["model.visual.patch_embed.proj.weight"] = (st, rng.standard_normal((4, 3)))
        out["mtp.fc.weight"] = (st, rng.standard_normal((2, 2)))
    return out


def write_checkpoint(out_dir, config, seed, dtype="bf16", lm_head=False, shards=1, extras=False):
    """Creates out_dir with config.json and model.safetensors (or `shards` shards + index)."""
    os.makedirs(out_dir, exist_ok=True)
    tensors = make_tensors(config, seed, dtype, lm_head, extras)
    meta = {"format": "pt", "generator": "tools/reference/make_random_checkpoint.py", "seed": str(seed)}
    if shards > 1:
        write_sharded(out_dir, tensors, shards, meta)
    else:
        write_file(os.path.join(out_dir, "model.safetensors"), tensors, meta)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    return out_dir


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--preset", choices=sorted(PRESETS))
    src.add_argument("--config", help="a config.json to use as is")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dtype", choices=sorted(DTYPE_NAMES), default="bf16")
    ap.add_argument("--layout", choices=("vlm", "text"), default="vlm", help="with --preset only")
    ap.add_argument("--vocab", type=int, help="vocabulary size (with --preset)")
    ap.add_argument("--lm-head", action="store_true", help="write an explicit lm_head.weight")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--extras", action="store_true", help="add model.visual.* / mtp.* tensors")
    args = ap.parse_args(argv)
    if args.config:
        with open(args.config) as f:
            config = json.load(f)
    else:
        text = PRESETS[args.preset](**({"vocab_size": args.vocab} if args.vocab else {}))
        config = as_layout(text, args.layout)
    write_checkpoint(args.out, config, args.seed, args.dtype, args.lm_head, args.shards, args.extras)
    print(args.out)


if __name__ == "__main__":
    sys.exit(main())
