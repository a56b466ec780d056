"""Self-tests of lora.py: the PEFT key layout and config it writes, the float64 merge W + scale * B @ A
(checked element-wise against a direct computation, and as a forward pass through the merged model),
rsLoRA scaling, and refusals.
Run: cd tools/reference && /usr/bin/python3 -m unittest
"""

import json
import math
import os
import tempfile
import unittest

import numpy as np

import lora
import make_random_checkpoint as mrc
from qwen35 import Qwen35
from safetensors_io import SafetensorsFile, write_file


class LoraTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.base = mrc.write_checkpoint(os.path.join(cls.tmp.name, "m"),
                                        mrc.as_layout(mrc.tiny_text_config(), "vlm"), seed=3)
        cls.adapter = lora.write_random_adapter(cls.base, os.path.join(cls.tmp.name, "a"), seed=1, r=4,
                                                alpha=8, targets=("q_proj", "down_proj"), std_b=0.1)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_peft_layout(self):
        st = SafetensorsFile(os.path.join(self.adapter, "adapter_model.safetensors"))
        names = st.names()
        key = "base_model.model.model.language_model.layers.3.self_attn.q_proj.lora_A.weight"
        self.assertIn(key, names)   # layer 3 is the tiny preset's full-attention layer
        self.assertEqual(list(st.shape(key)), [4, 64])
        self.assertEqual(list(st.shape(key.replace("lora_A", "lora_B"))), [128, 4])
        self.assertEqual(len(names), 2 * (2 + 8))  # q_proj in 2 full layers, down_proj in all 8
        with open(os.path.join(self.adapter, "adapter_config.json")) as f:
            cfg = json.load(f)
        self.assertEqual((cfg["peft_type"], cfg["r"], cfg["lora_alpha"], cfg["bias"]), ("LORA", 4, 8, "none"))
        self.assertEqual(cfg["target_modules"], ["down_proj", "q_proj"])

    def test_merge_is_w_plus_scale_b_a(self):
        ad = lora.LoraAdapter(self.adapter)
        self.assertEqual(ad.scale, 2.0)
        merged = Qwen35(self.base, adapter_dir=self.adapter)
        plain = Qwen35(self.base)
        st = SafetensorsFile(os.path.join(self.adapter, "adapter_model.safetensors"))
        k = "base_model.model.model.language_model.layers.5.mlp.down_proj"
        a, b = st.float64(k + ".lora_A.weight"), st.float64(k + ".lora_B.weight")
        w = plain.w.get("layers.5.mlp.down_proj.weight")
        want = w + 2.0 * np.einsum("ok,ki->oi", b, a)
        np.testing.assert_allclose(merged.w.get("layers.5.mlp.down_proj.weight"), want, rtol=0, atol=1e-14)
        np.testing.assert_array_equal(merged.w.get("layers.5.mlp.up_proj.weight"),
                                      plain.w.get("layers.5.mlp.up_proj.weight"))  # untargeted: unchanged
        ids = [5, 9, 300, 2]
        diff = np.max(np.abs(merged.logits(merged.forward(ids)) - plain.logits(plain.forward(ids))))
        self.assertGreater(diff, 1e-3)

    def test_rslora_scale(self):
        d = lora.write_random_adapter(self.base, os.path.join(self.tmp.name, "rs"), seed=2, r=9, alpha=6,
                                      targets=("v_proj",), rslora=True)
        self.assertAlmostEqual(lora.LoraAdapter(d).scale, 6 / math.sqrt(9))

    def test_refusals(self):
        d = os.path.join(self.tmp.name, "bad")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "adapter_config.json"), "w") as f:
            json.dump({"peft_type": "LORA", "r": 4, "target_modules": ["q_proj"]}, f)
        write_file(os.path.join(d, "adapter_model.safetensors"),
                   {"base_model.model.model.language_model.layers.3.self_attn.q_proj.lora_A.weight":
                    ("F32", np.zeros((4, 64)))})
        with self.assertRaisesRegex(lora.LoraError, "needs lora_A and lora_B"):
            lora.LoraAdapter(d)
        with self.assertRaisesRegex(lora.LoraError, "no decoder projection"):
            lora.write_random_adapter(self.base, os.path.join(self.tmp.name, "none"), 0, targets=("nope",))


if __name__ == "__main__":
    unittest.main()
