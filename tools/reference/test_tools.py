"""Self-tests of the command-line tools: gen_goldens.py output contents and compare_layers.py verdicts.
Run: cd tools/reference && /usr/bin/python3 -m unittest
"""

import io
import os
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout

import numpy as np

import compare_layers
import gen_goldens
import make_random_checkpoint as mrc
from safetensors_io import SafetensorsFile, write_file

IDS = "5,900,17,3,3,1000,42,7,64,65,66,1,2,3,4,5,6,8"


class ToolsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model_dir = mrc.write_checkpoint(os.path.join(cls.tmp.name, "m"), mrc.as_layout(mrc.tiny_text_config(),
                                                                                           "vlm"), seed=2)
        cls.golden = cls.run_tool(gen_goldens, ["--model", cls.model_dir, "--ids", IDS, "--split", "7",
                                                "--out", os.path.join(cls.tmp.name, "g.safetensors")])

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @staticmethod
    def run_tool(module, argv):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            rc = module.main(argv)
        if rc not in (0, 1):
            raise AssertionError(f"{module.__name__} failed ({rc}): {err.getvalue()}")
        return out.getvalue().strip().splitlines()[-1] if module is gen_goldens else (rc, out.getvalue())

    def test_golden_contents(self):
        f = SafetensorsFile(self.golden)
        t = len(IDS.split(","))
        self.assertEqual((f.dtype("input_ids"), list(f.raw("input_ids"))), ("I32", [int(i) for i in IDS.split(",")]))
        for name, shape in [("embed", (t, 64)), ("layer.0", (t, 64)), ("layer.7", (t, 64)), ("final_norm", (t, 64)),
                            ("logits", (t, 1024)), ("logits_split", (t, 1024)), ("layer.3.attn_core", (t, 64)),
                            ("layer.0.delta_out", (t, 64)), ("layer.0.g", (t, 4))]:
            self.assertEqual((f.dtype(name), f.shape(name)), ("F32", shape), name)
        self.assertNotIn("layer.8", f.names())
        split, whole = f.float64("logits_split"), f.float64("logits")
        self.assertLessEqual(np.max(np.abs(split - whole)), 1e-5 * np.max(np.abs(whole)))  # float32 storage
        self.assertEqual(f.metadata["split"], "7")
        self.assertEqual(len(f.metadata["checkpoint_sha256"]), 64)

    def test_compare_finds_first_divergent_layer(self):
        f = SafetensorsFile(self.golden)
        tensors = {n: (f.dtype(n), f.raw(n) if f.dtype(n) == "I32" else f.float64(n)) for n in f.names()}
        same = os.path.join(self.tmp.name, "same.safetensors")
        write_file(same, tensors)
        rc, report = self.run_tool(compare_layers, [same, self.golden])
        self.assertEqual(rc, 0, report)
        bad = dict(tensors)
        for name in ("layer.5.mlp_out", "layer.6", "logits"):
            dtype, arr = tensors[name]
            bad[name] = (dtype, arr + 1e-2 * np.max(np.abs(arr)))
        path = os.path.join(self.tmp.name, "bad.safetensors")
        write_file(path, bad)
        rc, report = self.run_tool(compare_layers, [path, self.golden])
        self.assertEqual(rc, 1)
        self.assertIn("first divergence: layer.5.mlp_out (decoder layer 5)", report)
        rc, report = self.run_tool(compare_layers, [path, self.golden, "--main-only"])
        self.assertIn("first divergence: layer.6 (decoder layer 6)", report)

    def test_bad_ids_are_reported(self):
        err = io.StringIO()
        with redirect_stderr(err):
            rc = gen_goldens.main(["--model", self.model_dir, "--ids", "1,x", "--out", os.devnull])
        self.assertEqual(rc, 1)
        self.assertIn("entry 1 expected an integer", err.getvalue())
        with redirect_stderr(err):
            rc = gen_goldens.main(["--model", self.model_dir, "--ids", "1,5000", "--out", os.devnull])
        self.assertIn("token ids expected in [0, 1024)", err.getvalue())


if __name__ == "__main__":
    unittest.main()
