"""Self-tests of the float64 Qwen3.5 reference: kernels and the model on tiny random checkpoints.
Run: cd tools/reference && /usr/bin/python3 -m unittest   (seconds).

Tolerance: the reference is float64 (unit roundoff u = 1.1e-16). Two orderings of the same math (chunked
vs recurrent delta rule, one call vs split calls) accumulate at most ~1e3 dependent roundings per output,
amplified by at most ~1e2 by the unit-lower triangular solves on normalised keys, so they agree to
~1e-11 of the tensor's scale; TOL = 1e-10 (relative to max |ref|) leaves 10x margin, while any real
mistake (a wrong mask, decay, head map or state hand-over) shows up at >= 1e-3.
"""

import json
import math
import os
import tempfile
import unittest

import numpy as np

import gated_delta as gd
import make_random_checkpoint as mrc
import ops
from qwen35 import Qwen35
from safetensors_io import Checkpoint, write_file

TOL = 1e-10


def rel_err(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(b)), 1e-300))


def random_delta_inputs(rng, t, hk=2, hv=4, dk=5, dv=3, a_max=4.0):
    q = rng.standard_normal((t, hk, dk))
    k = rng.standard_normal((t, hk, dk))
    v = rng.standard_normal((t, hv, dv))
    g = -rng.uniform(0.05, a_max, (hv,)) * ops.softplus(rng.standard_normal((t, hv)))
    beta = ops.sigmoid(rng.standard_normal((t, hv)))
    return q, k, v, g, beta


def closed_form_delta(q, k, v, g, beta, state):
    """Independent statement of the rule: S_t = e^g_t (I - b_t k k^T) S_{t-1} + b_t k v^T, o_t = S_t^T q,
    with q, k L2-normalised (eps 1e-6), q / sqrt(Dk), value head n reading key head n // (Hv / Hk)."""
    hv, dk = v.shape[1], q.shape[2]
    rep = hv // q.shape[1]
    s = [state[n].copy() for n in range(hv)]
    out = np.zeros(v.shape)
    for t in range(v.shape[0]):
        for n in range(hv):
            kk = k[t, n // rep] / np.sqrt(k[t, n // rep] @ k[t, n // rep] + 1e-6)
            qq = q[t, n // rep] / np.sqrt(q[t, n // rep] @ q[t, n // rep] + 1e-6) / np.sqrt(dk)
            s[n] = np.exp(g[t, n]) * (np.eye(dk) - beta[t, n] * np.outer(kk, kk)) @ s[n] \
                + beta[t, n] * np.outer(kk, v[t, n])
            out[t, n] = s[n].T @ qq
    return out, np.stack(s)


class DeltaRuleTest(unittest.TestCase):
    def test_recurrent_matches_closed_form(self):
        rng = np.random.default_rng(1)
        q, k, v, g, beta = random_delta_inputs(rng, 9)
        s0 = rng.standard_normal((4, 5, 3))
        o, s = gd.recurrent_gated_delta_rule(q, k, v, g, beta, s0)
        o2, s2 = closed_form_delta(q, k, v, g, beta, s0)
        self.assertLess(rel_err(o, o2), TOL)
        self.assertLess(rel_err(s, s2), TOL)

    def test_chunked_equals_recurrent(self):
        rng = np.random.default_rng(2)
        for t in (1, 2, 63, 64, 65, 150):
            for chunk in (64, 7):
                with self.subTest(t=t, chunk=chunk):
                    q, k, v, g, beta = random_delta_inputs(rng, t)
                    s0 = rng.standard_normal((4, 5, 3))
                    o1, s1 = gd.recurrent_gated_delta_rule(q, k, v, g, beta, s0)
                    o2, s2 = gd.chunk_gated_delta_rule(q, k, v, g, beta, s0, chunk=chunk)
                    self.assertLess(rel_err(o2, o1), TOL)
                    self.assertLess(rel_err(s2, s1), TOL)

    def test_zero_state_is_none_state(self):
        rng = np.random.default_rng(3)
        args = random_delta_inputs(rng, 10)
        o1, _ = gd.chunk_gated_delta_rule(*args, None)
        o2, _ = gd.chunk_gated_delta_rule(*args, np.zeros((4, 5, 3)))
        np.testing.assert_array_equal(o1, o2)

    def test_extreme_decay_stays_finite(self):
        # A up to 16 and large a: G reaches about -3e3 inside a 64-token chunk; only exp(<= 0) is taken.
        rng = np.random.default_rng(4)
        q, k, v, _, beta = random_delta_inputs(rng, 130)
        g = -16.0 * ops.softplus(3.0 + rng.standard_normal((130, 4)))
        s0 = rng.standard_normal((4, 5, 3))
        with np.errstate(over="raise", invalid="raise"):
            o2, s2 = gd.chunk_gated_delta_rule(q, k, v, g, beta, s0)
        o1, s1 = gd.recurrent_gated_delta_rule(q, k, v, g, beta, s0)
        self.assertTrue(np.all(np.isfinite(o2)))
        self.assertLess(rel_err(o2, o1), TOL)
        self.assertLess(rel_err(s2, s1) if np.any(s1) else 0.0, TOL)

    def test_causal_conv_matches_numpy_convolve(self):
        rng = np.random.default_rng(5)
        x, w = rng.standard_normal((11, 6)), rng.standard_normal((6, 4))
        out, state = gd.causal_conv1d(x, w, np.zeros((3, 6)))
        for c in range(6):
            # conv1d is a cross-correlation: reversing the taps makes it np.convolve's convolution
            want = np.convolve(x[:, c], w[c, ::-1])[:11]
            np.testing.assert_allclose(out[:, c], want, rtol=0, atol=1e-13)
        np.testing.assert_array_equal(state, x[-3:])
        first, st = gd.causal_conv1d(x[:4], w, np.zeros((3, 6)))
        rest, _ = gd.causal_conv1d(x[4:], w, st)
        np.testing.assert_allclose(np.concatenate([first, rest]), out, rtol=0, atol=1e-13)


class OpsTest(unittest.TestCase):
    def test_round_bf16_is_nearest_even_on_the_float32_value(self):
        # 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even mantissa (1) wins; 1 + 3*2^-8 rounds up to
        # 1 + 2^-6 (even); just above a tie rounds up; signs and exact bf16 values pass through.
        x = np.array([1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 1 + 2.0 ** -8 + 2.0 ** -20, -1.5, 0.0, 3.0e38])
        got = ops.round_bf16(x)
        want = [1.0, 1 + 2.0 ** -6, 1 + 2.0 ** -7, -1.5, 0.0, 3.0e38]
        self.assertEqual(got[:5].tolist(), want[:5])
        self.assertLess(abs(got[5] / want[5] - 1), 2.0 ** -8)
        rng = np.random.default_rng(3)
        v = rng.standard_normal(1000)
        r = ops.round_bf16(v)
        self.assertTrue(np.all(np.abs(r - v) <= np.abs(v) * 2.0 ** -8 * (1 + 1e-6)))
        self.assertTrue(np.array_equal(ops.round_bf16(r), r))  # idempotent

    def test_rope_depends_only_on_relative_position(self):
        rng = np.random.default_rng(6)
        q, k = rng.standard_normal((1, 1, 16)), rng.standard_normal((1, 1, 16))
        inv = ops.rope_inv_freq(1e4, 8)
        dots = []
        for p in (0, 5, 1000):
            cq, sq = ops.rope_cos_sin([p + 3], inv)
            ck, sk = ops.rope_cos_sin([p], inv)
            qr, kr = ops.apply_rotary(q, cq, sq), ops.apply_rotary(k, ck, sk)
            np.testing.assert_array_equal(qr[..., 8:], q[..., 8:])   # dims past the rotary part pass through
            dots.append(float(np.sum(qr * kr)))
        np.testing.assert_allclose(dots, dots[0], rtol=1e-12)

    def test_norm_conventions(self):
        rng = np.random.default_rng(7)
        x, z = rng.standard_normal((3, 8)), rng.standard_normal((3, 8))
        rms = np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-6)
        np.testing.assert_allclose(ops.rms_norm_zero_centred(x, np.zeros(8), 1e-6), x / rms, rtol=1e-14)
        np.testing.assert_allclose(ops.rms_norm_gated(x, z, np.ones(8), 1e-6), x / rms * z / (1 + np.exp(-z)),
                                   rtol=1e-14)

    def test_activations_extremes(self):
        x = np.array([-800.0, -30.0, 0.0, 19.0, 21.0, 800.0])
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            s, sp = ops.sigmoid(x), ops.softplus(x)
        want = [0.0, math.exp(-30) / (1 + math.exp(-30)), 0.5, 1 / (1 + math.exp(-19)), 1 / (1 + math.exp(-21)), 1.0]
        np.testing.assert_allclose(s, want, rtol=1e-15)
        self.assertEqual(sp[4], 21.0)                           # torch threshold: identity above 20
        self.assertAlmostEqual(sp[3], np.log1p(np.exp(19.0)), places=12)


class ModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.tiny_cfg = mrc.as_layout(mrc.tiny_text_config(), "vlm")
        cls.tiny = mrc.write_checkpoint(os.path.join(cls.tmp.name, "tiny"), cls.tiny_cfg, seed=11)
        cls.model = Qwen35(cls.tiny)
        cls.ids = list(np.random.default_rng(8).integers(0, 1024, 150))
        cls.hidden = cls.model.forward(cls.ids)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def write(self, name, tensors, config=None):
        """A checkpoint directory holding `tensors` ({name: (dtype, values)}) and config (default tiny)."""
        os.makedirs(self.path(name), exist_ok=True)
        write_file(os.path.join(self.path(name), "model.safetensors"), tensors)
        with open(os.path.join(self.path(name), "config.json"), "w") as f:
            json.dump(config or self.tiny_cfg, f)
        return self.path(name)

    def test_split_equals_whole(self):
        for split in (1, 2, 3, 5, 64, 65, 149):
            with self.subTest(split=split):
                st = self.model.new_state()
                a = self.model.forward(self.ids[:split], st)
                b = self.model.forward(self.ids[split:], st.fork())
                self.assertLess(rel_err(np.concatenate([a, b]), self.hidden), TOL)

    def test_token_by_token_and_forced_recurrent(self):
        st = self.model.new_state()
        steps = np.concatenate([self.model.forward([t], st) for t in self.ids[:70]])
        self.assertLess(rel_err(steps, self.hidden[:70]), TOL)
        rec = self.model.forward(self.ids, None, "recurrent")
        self.assertLess(rel_err(rec, self.hidden), TOL)

    def test_fork_isolates_states(self):
        st = self.model.new_state()
        self.model.forward(self.ids[:20], st)
        fork = st.fork()
        self.model.forward(self.ids[20:40], fork)
        a = self.model.forward(self.ids[20:30], st)
        self.assertLess(rel_err(a, self.hidden[20:30]), TOL)

    def test_stored_dtype_only_changes_values_not_math(self):
        ck = Checkpoint(self.tiny)
        f32 = {n: ("F32", ck.file(n).float64(n)) for n in ck.names()}
        np.testing.assert_array_equal(Qwen35(self.write("f32", f32)).forward(self.ids[:40]), self.hidden[:40])
        # F16: the same f16-representable values stored as F16 and as F32 give identical outputs
        vals = {n: a.astype(np.float16).astype(np.float64) for n, (_, a) in f32.items()}
        a16 = Qwen35(self.write("f16", {n: ("F16", a) for n, a in vals.items()})).forward(self.ids[:40])
        a32 = Qwen35(self.write("f16_as_f32", {n: ("F32", a) for n, a in vals.items()})).forward(self.ids[:40])
        np.testing.assert_array_equal(a16, a32)

    def test_layouts_shards_extras_and_lm_head(self):
        text_cfg = mrc.as_layout(mrc.tiny_text_config(), "text")
        variants = {"text": dict(config=text_cfg), "sharded": dict(config=self.tiny_cfg, shards=3),
                    "extras": dict(config=self.tiny_cfg, extras=True)}
        for name, kw in variants.items():
            with self.subTest(layout=name):
                d = mrc.write_checkpoint(self.path(name), seed=11, **kw)
                np.testing.assert_array_equal(Qwen35(d).forward(self.ids[:30]), self.hidden[:30])
        tensors = mrc.make_tensors(self.tiny_cfg, 11)
        tensors["lm_head.weight"] = tensors["model.language_model.embed_tokens.weight"]
        h = self.hidden[-2:]
        np.testing.assert_array_equal(Qwen35(self.write("head", tensors)).logits(h), self.model.logits(h))
        np.testing.assert_array_equal(self.model.logits(h, [7, 3])[:, 0], self.model.logits(h)[:, 7])

    def test_value_head_grouping_equals_explicit_repetition(self):
        # Hv = 4 > Hk = 2: value head n must read key head n // 2 (HF repeat_interleave). Build the same
        # model with Hk = 4 by duplicating each key head's Q/K projection rows and conv taps in that order.
        grouped = mrc.make_tensors(self.tiny_cfg, 11)
        cfg4 = mrc.as_layout(dict(mrc.tiny_text_config(), linear_num_key_heads=4), "vlm")
        dk, kd = 16, 32
        order = np.concatenate([np.arange(h * dk, (h + 1) * dk) for h in (0, 0, 1, 1)])
        rows = np.concatenate([order, kd + order, 2 * kd + np.arange(64)])
        expanded = {}
        for n, (dt, a) in grouped.items():
            if n.endswith(("in_proj_qkv.weight", "conv1d.weight")):
                a = a[rows]
            expanded[n] = (dt, a)
        self.assertLess(rel_err(Qwen35(self.write("hk4", expanded, cfg4)).forward(self.ids[:70]), self.hidden[:70]),
                        TOL)

    def test_attention_gate_is_second_half_of_each_head(self):
        # One token at position 0: softmax over one key is 1, so the core output is v (per kv group) and
        # the mixer output is o_proj(v_rep * sigmoid(gate)) with gate = rows [h*2Dh + Dh, (h+1)*2Dh).
        taps = {}
        self.model.forward([5], None, "auto", taps)
        w, x = self.model.w, taps["layer.3.input_norm"]
        qg = x @ w.get("layers.3.self_attn.q_proj.weight").T
        gate = np.concatenate([qg[:, h * 32 + 16:(h + 1) * 32] for h in range(4)], axis=1)
        v = x @ w.get("layers.3.self_attn.v_proj.weight").T
        v_rep = np.concatenate([v[:, (h // 2) * 16:(h // 2 + 1) * 16] for h in range(4)], axis=1)
        want = (v_rep * ops.sigmoid(gate)) @ w.get("layers.3.self_attn.o_proj.weight").T
        self.assertLess(rel_err(taps["layer.3.mixer_out"], want), TOL)

    def test_odd_sizes(self):
        cfg = mrc.as_layout(mrc.odd_text_config(), "text")
        m = Qwen35(mrc.write_checkpoint(self.path("odd"), cfg, seed=4, dtype="f32"))
        ids = list(np.random.default_rng(9).integers(0, 517, 70))
        whole = m.forward(ids)
        st = m.new_state()
        parts = np.concatenate([m.forward(ids[:3], st), m.forward(ids[3:4], st), m.forward(ids[4:], st)])
        self.assertLess(rel_err(parts, whole), TOL)
        self.assertLess(rel_err(m.forward(ids, None, "recurrent"), whole), TOL)
        self.assertTrue(np.all(np.isfinite(m.logits(whole))))

    def test_rejects_bad_ids(self):
        for ids in ([], [1024], [-1]):
            with self.subTest(ids=ids), self.assertRaises(ValueError):
                self.model.forward(ids)


if __name__ == "__main__":
    unittest.main()
