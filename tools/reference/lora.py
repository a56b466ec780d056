#!/usr/bin/python3
"""PEFT LoRA adapters for the float64 reference: read one (adapter_config.json + adapter_model.safetensors,
PEFT's save_pretrained layout) and merge it as W + scale * B @ A in float64; or write a random one in that
layout for a checkpoint (test fixtures).

Usage: lora.py --base DIR --out DIR [--seed N] [--r 4] [--alpha 8] [--targets q_proj,v_proj,...]
               [--std-b 0.05] [--dtype f32|bf16|f16] [--rslora]
Keys follow peft.utils.save_and_load.get_peft_model_state_dict (adapter name removed):
'base_model.model.<module>.lora_A.weight' [r, in] and '...lora_B.weight' [out, r], where <module> is the
base tensor name without '.weight' (e.g. 'model.language_model.layers.3.self_attn.q_proj').
"""

import argparse
import json
import math
import os
import sys

import numpy as np

from config import load_config
from safetensors_io import SafetensorsFile, write_file
from weights import Weights

KEY_PREFIX = "base_model.model."
SUFFIX_A, SUFFIX_B = ".lora_A.weight", ".lora_B.weight"
DTYPE_NAMES = {"f32": "F32", "bf16": "BF16", "f16": "F16"}
GENERATOR = "tools/reference/lora.py"


class LoraError(ValueError):
    """A malformed or unsupported adapter; the message names the key or tensor."""


def lora_scale(config):
    """PEFT LoraLayer.update_layer: alpha / r, or alpha / sqrt(r) with use_rslora."""
    r, alpha = config["r"], config.get("lora_alpha", 8)
    return alpha / math.sqrt(r) if config.get("use_rslora", False) else alpha / r


class LoraAdapter:
    """The float64 deltas scale * B @ A of an adapter, keyed by base tensor name ('<module>.weight')."""

    def __init__(self, adapter_dir):
        with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
            self.config = json.load(f)
        if self.config.get("peft_type", "LORA") != "LORA":
            raise LoraError(f"adapter_config.json: peft_type expected LORA, got {self.config['peft_type']}")
        self.scale = lora_scale(self.config)
        st = SafetensorsFile(os.path.join(adapter_dir, "adapter_model.safetensors"))
        pairs = {}
        for key in st.names():
            if not key.startswith(KEY_PREFIX) or not key.endswith((SUFFIX_A, SUFFIX_B)):
                raise LoraError(f"adapter_model.safetensors: tensor '{key}' is not a LoRA A/B weight")
            module, which = key[len(KEY_PREFIX):-len(SUFFIX_A)], key[-len(SUFFIX_A):]
            pairs.setdefault(module, {})[which] = st.float64(key)
        self.deltas = {}
        for module, ab in sorted(pairs.items()):
            if len(ab) != 2:
                raise LoraError(f"adapter_model.safetensors: module '{module}' needs lora_A and lora_B")
            a, b = ab[SUFFIX_A], ab[SUFFIX_B]
            if a.shape[0] != self.config["r"] or b.shape[1] != self.config["r"]:
                raise LoraError(f"module '{module}': rank expected {self.config['r']}, got A {a.shape} B {b.shape}")
            self.deltas[module + ".weight"] = self.scale * (b @ a)   # [out, r] @ [r, in] = [out, in]


class MergedWeights(Weights):
    """Weights with the adapter merged into the targeted matrices: W + scale * B @ A, float64."""

    def __init__(self, model_dir, cfg, adapter, **kwargs):
        super().__init__(model_dir, cfg, **kwargs)
        for name, delta in adapter.deltas.items():
            rel = name[len(self.prefix):] if name.startswith(self.prefix) else None
            if rel is None or rel not in {n[len(self.prefix):] for n in self._expected}:
                raise LoraError(f"adapter: module '{name}' is not a tensor of {self.dir}")
            if super().get(rel).shape != delta.shape:
                raise LoraError(f"adapter: '{name}' delta shape {delta.shape} != base {super().get(rel).shape}")
        self._deltas = adapter.deltas

    def get(self, rel_name):
        w = super().get(rel_name)
        delta = self._deltas.get(self.prefix + rel_name)
        return w if delta is None else w + delta


def linear_modules(weights):
    """Base tensor names of the decoder projections (the modules an adapter may target)."""
    return sorted(n for n in weights._expected
                  if n.endswith("_proj.weight") or n.endswith(("in_proj_qkv.weight", "in_proj_z.weight",
                                                                "in_proj_b.weight", "in_proj_a.weight")))


def write_random_adapter(base_dir, out_dir, seed, r=4, alpha=8.0, targets=("q_proj", "v_proj"),
                         std_b=0.05, dtype="f32", rslora=False):
    """A random adapter for the checkpoint in base_dir: for every decoder projection whose last name part
    is in `targets`, A ~ N(0, 1/in) [r, in] and B ~ N(0, std_b^2) [out, r] (PEFT initialises B = 0; a
    trained adapter has B != 0). Writes out_dir/adapter_config.json and adapter_model.safetensors."""
    cfg = load_config(base_dir)
    w = Weights(base_dir, cfg)
    rng = np.random.default_rng(seed)
    tensors = {}
    for name in linear_modules(w):
        module = name[:-len(".weight")]
        if module.split(".")[-1] not in targets:
            continue
        out_f, in_f = w._ckpt.file(name).shape(name)
        tensors[KEY_PREFIX + module + SUFFIX_A] = (DTYPE_NAMES[dtype], rng.standard_normal((r, in_f)) / math.sqrt(in_f))
        tensors[KEY_PREFIX + module + SUFFIX_B] = (DTYPE_NAMES[dtype], std_b * rng.standard_normal((out_f, r)))
    if not tensors:
        raise LoraError(f"targets {list(targets)}: no decoder projection of {base_dir} matches")
    os.makedirs(out_dir, exist_ok=True)
    write_file(os.path.join(out_dir, "adapter_model.safetensors"), tensors,
               {"format": "pt", "generator": GENERATOR, "seed": str(seed)})
    config = {"alpha_pattern": {}, "base_model_name_or_path": "haloguard-tiny-random", "bias": "none",
              "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
              "layers_pattern": None, "layers_to_transform": None, "lora_alpha": alpha, "lora_dropout": 0.0,
              "modules_to_save": None, "peft_type": "LORA", "r": r, "rank_pattern": {}, "revision": None,
              "target_modules": sorted(targets), "task_type": "CAUSAL_LM", "use_dora": False,
              "use_rslora": rslora}
    with open(os.path.join(out_dir, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    return out_dir


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="base checkpoint directory")
    ap.add_argument("--out", required=True, help="adapter directory to write")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--r", type=int, default=4)
    ap.add_argument("--alpha", type=float, default=8.0)
    ap.add_argument("--targets", default="q_proj,v_proj", help="comma-separated module names")
    ap.add_argument("--std-b", type=float, default=0.05)
    ap.add_argument("--dtype", choices=sorted(DTYPE_NAMES), default="f32")
    ap.add_argument("--rslora", action="store_true")
    args = ap.parse_args(argv)
    try:
        write_random_adapter(args.base, args.out, args.seed, args.r, args.alpha, tuple(args.targets.split(",")),
                             args.std_b, args.dtype, args.rslora)
    except (LoraError, ValueError, OSError) as e:
        print(f"lora: {e}", file=sys.stderr)
        return 1
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
