"""Self-tests of the reference's file handling: safetensors reading/writing, config.json parsing with HF
defaults, and the weight table's errors on bad checkpoints. Run: cd tools/reference && /usr/bin/python3 -m unittest
"""

import json
import math
import os
import struct
import tempfile
import unittest

import numpy as np

import make_random_checkpoint as mrc
from config import ConfigError, parse_config
from safetensors_io import (Checkpoint, SafetensorsError, SafetensorsFile, bf16_to_f32, f32_to_bf16, write_file,
                            write_sharded)
from weights import WeightError, Weights, expected_tensors

# Qwen3.5-0.8B text_config as given in shared/reference/qwen35-text-model.md section 0.
CONFIG_08B = {"model_type": "qwen3_5", "tie_word_embeddings": True, "text_config": {
    "model_type": "qwen3_5_text", "hidden_size": 1024, "intermediate_size": 3584, "num_hidden_layers": 24,
    "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 256, "linear_num_key_heads": 16,
    "linear_num_value_heads": 16, "linear_key_head_dim": 128, "linear_value_head_dim": 128,
    "linear_conv_kernel_dim": 4, "rms_norm_eps": 1e-6, "vocab_size": 248320, "tie_word_embeddings": True,
    "layer_types": (["linear_attention"] * 3 + ["full_attention"]) * 6,
    "rope_parameters": {"rope_type": "default", "rope_theta": 10000000, "partial_rotary_factor": 0.25,
                        "mrope_section": [11, 11, 10], "mrope_interleaved": True}}}


def raw_file(path, header, data=b""):
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)
    return path


class SafetensorsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_round_trip_every_dtype(self):
        rng = np.random.default_rng(0)
        vals = rng.standard_normal((3, 5))
        tensors = {"f64": ("F64", vals), "f32": ("F32", vals), "f16": ("F16", vals), "bf16": ("BF16", vals),
                   "i32": ("I32", np.arange(7)), "i64": ("I64", np.arange(-3, 3)), "empty": ("F32", np.zeros((0, 4)))}
        write_file(self.path("a.safetensors"), tensors, {"k": "v"})
        f = SafetensorsFile(self.path("a.safetensors"))
        self.assertEqual(f.metadata, {"k": "v"})
        np.testing.assert_array_equal(f.float64("f64"), vals)
        np.testing.assert_array_equal(f.float64("f32"), vals.astype(np.float32))
        np.testing.assert_array_equal(f.float64("f16"), vals.astype(np.float16))
        self.assertLessEqual(np.max(np.abs(f.float64("bf16") - vals) / np.abs(vals)), 2.0 ** -8)  # RNE to 8 significant bits
        np.testing.assert_array_equal(f.raw("i64"), np.arange(-3, 3))
        self.assertEqual(f.shape("empty"), (0, 4))
        with open(self.path("a.safetensors"), "rb") as fh:
            self.assertEqual((8 + int.from_bytes(fh.read(8), "little")) % 8, 0)  # data starts 8-aligned
        with self.assertRaisesRegex(SafetensorsError, "'i32'.*dtype expected"):
            f.float64("i32")

    def test_bf16_bits(self):
        # 1 + 2^-8 is a tie between 1 and 1 + 2^-7 and rounds to even (1); 1 + 3*2^-9 rounds up.
        x = np.array([1.0, 1 + 2 ** -8, 1 + 3 * 2 ** -9, -2.5, np.inf, np.finfo(np.float32).max, np.nan], np.float32)
        bits = f32_to_bf16(x)
        self.assertEqual([hex(b) for b in bits[:5]], ["0x3f80", "0x3f80", "0x3f81", "0xc020", "0x7f80"])
        self.assertEqual(bits[5], 0x7F80)  # the largest f32 rounds up to +inf, as torch does
        self.assertTrue(math.isnan(bf16_to_f32(bits[6:7])[0]))
        np.testing.assert_array_equal(bf16_to_f32(np.array([0x3F80, 0xC020], np.uint16)), [1.0, -2.5])

    def test_malformed_files_name_the_problem(self):
        good = {"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
        cases = {
            "short": (None, b"\x01\x02"),
            "huge_len": (None, struct.pack("<Q", 1 << 40)),
            "bad_json": (None, struct.pack("<Q", 3) + b"{x}"),
            "bad_dtype": ({"t": {"dtype": "Q8", "shape": [2], "data_offsets": [0, 8]}}, bytes(8)),
            "bad_shape": ({"t": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, bytes(8)),
            "size_mismatch": ({"t": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)),
            "truncated": (good, bytes(4)),
            "trailing": (good, bytes(12)),
            "hole": ({"t": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)),
            "metadata": (dict(good, __metadata__={"a": 1}), bytes(8)),
        }
        want = {"short": "file size", "huge_len": "header length", "bad_json": "JSON", "bad_dtype": "'t'.*dtype",
                "bad_shape": "'t'.*shape", "size_mismatch": "'t'.*byte size expected 12", "truncated": "truncated",
                "trailing": "data buffer expected 8", "hole": "'t' begins at byte 4", "metadata": "__metadata__"}
        for name, (header, data) in cases.items():
            with self.subTest(case=name):
                p = self.path(name)
                if header is None:
                    with open(p, "wb") as f:
                        f.write(data)
                else:
                    raw_file(p, header, data)
                with self.assertRaisesRegex(SafetensorsError, want[name]):
                    SafetensorsFile(p)

    def test_sharded_index(self):
        tensors = {f"w{i}": ("F32", np.full((2,), float(i))) for i in range(5)}
        d = self.path("sh")
        os.makedirs(d)
        write_sharded(d, tensors, 2)
        ck = Checkpoint(d)
        self.assertEqual(ck.names(), sorted(tensors))
        self.assertEqual(ck.file("w3").float64("w3")[0], 3.0)
        with open(os.path.join(d, "model.safetensors.index.json")) as f:
            index = json.load(f)
        index["weight_map"]["w3"] = index["weight_map"]["w0"] if index["weight_map"]["w3"] != \
            index["weight_map"]["w0"] else index["weight_map"]["w1"]
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump(index, f)
        with self.assertRaisesRegex(SafetensorsError, "'w3' expected in shard"):
            Checkpoint(d)
        with self.assertRaisesRegex(SafetensorsError, "found neither"):
            Checkpoint(self.tmp.name)


class ConfigTest(unittest.TestCase):
    def test_08b_shape(self):
        cfg = parse_config(CONFIG_08B)
        self.assertEqual([i for i, t in enumerate(cfg.layer_types) if t == "full_attention"], [3, 7, 11, 15, 19, 23])
        self.assertEqual((cfg.rotary_dim, cfg.conv_dim, cfg.rope_theta), (64, 6144, 1e7))
        self.assertTrue(cfg.tie_word_embeddings and cfg.nested)
        # parameter count of the text model from the spec (section 8): 752,393,024 with the tied head
        self.assertEqual(sum(math.prod(s) for s in expected_tensors(cfg).values()), 752_393_024)

    def test_flat_nested_interval_and_legacy_keys_agree(self):
        text = dict(CONFIG_08B["text_config"])
        base = parse_config(CONFIG_08B)
        flat = parse_config(text)
        self.assertEqual((flat.layer_types, flat.rope_theta, flat.nested), (base.layer_types, 1e7, False))
        by_interval = dict(text, full_attention_interval=4)
        del by_interval["layer_types"]
        self.assertEqual(parse_config(by_interval).layer_types, base.layer_types)
        legacy = dict(text, layer_types=["mamba", "mamba", "mamba", "attention"] * 6, rope_theta=1e7)
        del legacy["rope_parameters"]
        cfg = parse_config(legacy)
        self.assertEqual((cfg.layer_types, cfg.rope_theta, cfg.partial_rotary_factor), (base.layer_types, 1e7, 0.25))
        scaling = dict(text, rope_scaling={"type": "default", "rope_theta": 5.0, "partial_rotary_factor": 0.5})
        self.assertEqual((parse_config(scaling).rope_theta, parse_config(scaling).rotary_dim), (5.0, 128))

    def test_hf_defaults(self):
        cfg = parse_config({"model_type": "qwen3_5"})   # Qwen3_5Config() with a default text config
        self.assertEqual((cfg.hidden_size, cfg.num_hidden_layers, cfg.linear_num_value_heads, cfg.head_dim),
                         (4096, 32, 32, 256))
        self.assertEqual(cfg.layer_types[:4], ("linear_attention",) * 3 + ("full_attention",))
        self.assertEqual((cfg.rope_theta, cfg.partial_rotary_factor, cfg.tie_word_embeddings), (1e4, 0.25, False))
        no_head_dim = parse_config({"model_type": "qwen3_5_text", "head_dim": None, "hidden_size": 64,
                                    "num_attention_heads": 4, "num_key_value_heads": 2})
        self.assertEqual(no_head_dim.head_dim, 16)
        top_only = dict(CONFIG_08B, text_config=dict(CONFIG_08B["text_config"], tie_word_embeddings=False))
        self.assertTrue(parse_config(top_only).tie_word_embeddings)

    def test_errors_name_the_key(self):
        text = CONFIG_08B["text_config"]
        cases = {"model_type": {"model_type": "llama"},
                 "layer_types": dict(text, layer_types=["full_attention"]),
                 r"layer_types\[2\]": dict(text, layer_types=["linear_attention"] * 2 + ["sliding"] + ["x"] * 21),
                 "rope_type": dict(text, rope_parameters={"rope_type": "yarn"}),
                 "hidden_act": dict(text, hidden_act="gelu"),
                 "linear_num_value_heads": dict(text, linear_num_value_heads=24, linear_num_key_heads=16),
                 "num_attention_heads": dict(text, num_key_value_heads=3),
                 "'hidden_size'": dict(text, hidden_size="1024"),
                 "text_config": {"model_type": "qwen3_5", "text_config": [1]}}
        for key, raw in cases.items():
            with self.subTest(key=key), self.assertRaisesRegex(ConfigError, key):
                parse_config(raw)


class WeightTableTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cfg = mrc.as_layout(mrc.tiny_text_config(), "vlm")
        cls.tensors = mrc.make_tensors(cls.cfg, 0)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check_rejected(self, name, tensors, pattern, config=None):
        d = os.path.join(self.tmp.name, name)
        os.makedirs(d, exist_ok=True)
        write_file(os.path.join(d, "model.safetensors"), tensors)
        with self.assertRaisesRegex(WeightError, pattern):
            Weights(d, parse_config(config or self.cfg))

    def test_bad_checkpoints(self):
        p = "model.language_model."
        missing = {k: v for k, v in self.tensors.items() if k != p + "layers.3.self_attn.k_norm.weight"}
        self.check_rejected("missing", missing, r"'model\.language_model\.layers\.3\.self_attn\.k_norm\.weight'"
                                                r" expected with shape \[16\], not found")
        extra = dict(self.tensors, **{p + "layers.0.self_attn.q_proj.weight": ("BF16", np.zeros((128, 64)))})
        self.check_rejected("extra", extra, r"'model\.language_model\.layers\.0\.self_attn\.q_proj\.weight' unexpected")
        shape = dict(self.tensors, **{p + "norm.weight": ("BF16", np.zeros(63))})
        self.check_rejected("shape", shape, r"'model\.language_model\.norm\.weight' shape expected \[64\], got \[63\]")
        dtype = dict(self.tensors, **{p + "norm.weight": ("I32", np.zeros(64))})
        self.check_rejected("dtype", dtype, "'model.language_model.norm.weight' dtype expected BF16, F16 or F32, got I32")
        untied = dict(self.cfg, tie_word_embeddings=False, text_config=dict(self.cfg["text_config"],
                                                                            tie_word_embeddings=False))
        self.check_rejected("untied", self.tensors, "'lm_head.weight' expected", untied)
        both = dict(self.tensors, **{"model.embed_tokens.weight": self.tensors[p + "embed_tokens.weight"]})
        self.check_rejected("both", both, "found both")


if __name__ == "__main__":
    unittest.main()
