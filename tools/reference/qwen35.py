"""Qwen3.5 text decoder forward pass in float64 numpy, with a resumable inference state.

Written from transformers' modeling_qwen3_5.py (class and function named on each function below). This is
the independent oracle the C++ engine is tested against: it shares no code with it.
Legend: T new tokens, D hidden, H / Hkv attention heads, Dh head dim, Hk / Hv linear key / value heads,
Dk / Dv linear head dims, F MLP width, V vocabulary.
"""

import numpy as np

from config import load_config
from gated_delta import causal_conv1d, chunk_gated_delta_rule, recurrent_gated_delta_rule
from ops import (apply_rotary, linear, round_bf16, rms_norm_gated, rms_norm_zero_centred, rope_cos_sin, rope_inv_freq,
                 sigmoid, silu, softmax, softplus)
from weights import Weights
from lora import LoraAdapter, MergedWeights

DELTA_MODES = ("auto", "chunk", "recurrent")
LOGIT_BLOCK_ROWS = 8192


class InferenceState:
    """Everything a sequence carries between calls (the HF cache): the number of tokens seen, per
    full-attention layer the K (post q/k-norm, post-RoPE) and V caches [P, Hkv, Dh], per linear layer the
    last K-1 raw conv inputs [K-1, C] and the delta-rule state [Hv, Dk, Dv]. fork() deep-copies."""

    def __init__(self, cfg):
        self.num_tokens = 0
        self.layers = []
        for kind in cfg.layer_types:
            if kind == "linear_attention":
                self.layers.append({
                    "conv": np.zeros((cfg.linear_conv_kernel_dim - 1, cfg.conv_dim)),
                    "rec": np.zeros((cfg.linear_num_value_heads, cfg.linear_key_head_dim,
                                     cfg.linear_value_head_dim))})
            else:
                empty = np.zeros((0, cfg.num_key_value_heads, cfg.head_dim))
                self.layers.append({"k": empty, "v": empty.copy()})

    def fork(self):
        other = InferenceState.__new__(InferenceState)
        other.num_tokens = self.num_tokens
        other.layers = [{k: v.copy() for k, v in layer.items()} for layer in self.layers]
        return other


def _tap(taps, name, value):
    if taps is not None:
        taps[name] = np.array(value, dtype=np.float64)


class Qwen35:
    """A loaded checkpoint. forward() runs new tokens through the decoder, updating an InferenceState."""

    def __init__(self, model_dir, cache_bytes=None, bf16_activations=False, adapter_dir=None):
        """bf16_activations: round the input of every decoder projection to bf16 (ops.round_bf16), as
        the engine's --weights bf16 mode does; the embedding and LM head stay unrounded.
        adapter_dir: a PEFT LoRA adapter merged into the weights in float64 (lora.py)."""
        self.cfg = load_config(model_dir)
        self.bf16_activations = bf16_activations
        kwargs = {} if cache_bytes is None else {"cache_bytes": cache_bytes}
        if adapter_dir:
            self.w = MergedWeights(model_dir, self.cfg, LoraAdapter(adapter_dir), **kwargs)
        else:
            self.w = Weights(model_dir, self.cfg, **kwargs)
        self.inv_freq = rope_inv_freq(self.cfg.rope_theta, self.cfg.rotary_dim)

    def new_state(self):
        return InferenceState(self.cfg)

    def forward(self, ids, state=None, delta_mode="auto", taps=None):
        """Qwen3_5TextModel.forward: embed -> decoder layers -> final norm.
        ids: token ids [T] (T >= 1); state: updated in place (None: a fresh one, discarded).
        delta_mode: 'auto' = HF dispatch (recurrent form only for a single token with a cached state,
        chunked otherwise), or force 'chunk' / 'recurrent'. taps: optional dict filled with float64
        intermediates ('embed', 'layer.{L}', 'layer.{L}.<part>', 'final_norm').
        Returns the final-norm hidden states [T, D]."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if ids.size == 0:
            raise ValueError("forward: ids expected at least 1 token, got 0")
        if ids.min() < 0 or ids.max() >= self.cfg.vocab_size:
            raise ValueError(f"forward: token ids expected in [0, {self.cfg.vocab_size}), "
                             f"got min {ids.min()} max {ids.max()}")
        if delta_mode not in DELTA_MODES:
            raise ValueError(f"forward: delta_mode expected one of {DELTA_MODES}, got {delta_mode!r}")
        state = self.new_state() if state is None else state
        positions = np.arange(state.num_tokens, state.num_tokens + ids.size)
        cos, sin = rope_cos_sin(positions, self.inv_freq)
        h = self.w.embedding_rows(ids)
        _tap(taps, "embed", h)
        has_previous = state.num_tokens > 0
        for i, kind in enumerate(self.cfg.layer_types):
            h = self._decoder_layer(i, kind, h, state.layers[i], (cos, sin), has_previous, delta_mode, taps)
            _tap(taps, f"layer.{i}", h)
        state.num_tokens += ids.size
        out = rms_norm_zero_centred(h, self.w.get("norm.weight"), self.cfg.rms_norm_eps)
        _tap(taps, "final_norm", out)
        return out

    def logits(self, hidden, rows=None):
        """Qwen3_5ForConditionalGeneration.lm_head on hidden [T, D] -> [T, V], or only the vocabulary
        rows listed in `rows` -> [T, len(rows)] (in that order). Evaluated in row blocks."""
        if rows is not None:
            return hidden @ self.w.head_rows(rows).T
        out = np.empty((hidden.shape[0], self.cfg.vocab_size))
        for start in range(0, self.cfg.vocab_size, LOGIT_BLOCK_ROWS):
            stop = min(start + LOGIT_BLOCK_ROWS, self.cfg.vocab_size)
            out[:, start:stop] = hidden @ self.w.head_rows(range(start, stop)).T
        return out

    def _linear(self, x, w):
        """A decoder projection: ops.linear, on bf16-rounded x in bf16_activations mode."""
        return linear(round_bf16(x) if self.bf16_activations else x, w)

    def _decoder_layer(self, i, kind, h, layer_state, rope, has_previous, delta_mode, taps):
        """Qwen3_5DecoderLayer.forward: h + mixer(norm(h)), then + mlp(norm(h)) (pre-norm residuals)."""
        p, eps = f"layers.{i}.", self.cfg.rms_norm_eps
        x = rms_norm_zero_centred(h, self.w.get(p + "input_layernorm.weight"), eps)
        _tap(taps, f"layer.{i}.input_norm", x)
        if kind == "linear_attention":
            mixed = self._gated_deltanet(i, x, layer_state, has_previous, delta_mode, taps)
        else:
            mixed = self._attention(i, x, layer_state, rope, taps)
        _tap(taps, f"layer.{i}.mixer_out", mixed)
        h = h + mixed
        x = rms_norm_zero_centred(h, self.w.get(p + "post_attention_layernorm.weight"), eps)
        _tap(taps, f"layer.{i}.post_norm", x)
        m = self._mlp(i, x)
        _tap(taps, f"layer.{i}.mlp_out", m)
        return h + m

    def _mlp(self, i, x):
        """Qwen3_5MLP: down_proj(silu(gate_proj(x)) * up_proj(x)). x [T, D] -> [T, D]."""
        p = f"layers.{i}.mlp."
        return self._linear(silu(self._linear(x, self.w.get(p + "gate_proj.weight"))) * self._linear(x, self.w.get(p + "up_proj.weight")),
                            self.w.get(p + "down_proj.weight"))

    def _attention(self, i, x, st, rope, taps):
        """Qwen3_5Attention.forward with eager_attention_forward. x [T, D] -> [T, D]; appends to st's
        K/V cache. q_proj rows are per head [query Dh | gate Dh]; q/k get zero-centred RMSNorm over Dh,
        then partial NeoX RoPE; GQA (query head h reads kv head h // (H / Hkv)); causal softmax with scale
        Dh^-0.5; output * sigmoid(gate); o_proj."""
        c, p = self.cfg, f"layers.{i}.self_attn."
        t, nh, nkv, dh = x.shape[0], c.num_attention_heads, c.num_key_value_heads, c.head_dim
        qg = self._linear(x, self.w.get(p + "q_proj.weight")).reshape(t, nh, 2 * dh)
        q, gate = qg[..., :dh], qg[..., dh:].reshape(t, nh * dh)
        q = rms_norm_zero_centred(q, self.w.get(p + "q_norm.weight"), c.rms_norm_eps)
        k = self._linear(x, self.w.get(p + "k_proj.weight")).reshape(t, nkv, dh)
        k = rms_norm_zero_centred(k, self.w.get(p + "k_norm.weight"), c.rms_norm_eps)
        v = self._linear(x, self.w.get(p + "v_proj.weight")).reshape(t, nkv, dh)
        q, k = apply_rotary(q, *rope), apply_rotary(k, *rope)
        _tap(taps, f"layer.{i}.attn_q", q.reshape(t, nh * dh))
        _tap(taps, f"layer.{i}.attn_k", k.reshape(t, nkv * dh))
        st["k"] = np.concatenate([st["k"], k], axis=0)
        st["v"] = np.concatenate([st["v"], v], axis=0)
        keys = np.repeat(st["k"], nh // nkv, axis=1)                  # repeat_kv: [P+T, H, Dh]
        vals = np.repeat(st["v"], nh // nkv, axis=1)
        scores = np.einsum("thd,shd->hts", q, keys) * dh ** -0.5      # [H, T, P+T]
        past = keys.shape[0] - t
        allowed = np.arange(keys.shape[0])[None, :] <= (past + np.arange(t))[:, None]
        probs = softmax(np.where(allowed[None], scores, -np.inf), axis=-1)
        core = np.einsum("hts,shd->thd", probs, vals).reshape(t, nh * dh)
        _tap(taps, f"layer.{i}.attn_core", core)
        return self._linear(core * sigmoid(gate), self.w.get(p + "o_proj.weight"))

    def _gated_deltanet(self, i, x, st, has_previous, delta_mode, taps):
        """Qwen3_5GatedDeltaNet.forward. x [T, D] -> [T, D]; updates st's conv and recurrent state.
        in_proj_qkv -> causal conv1d + SiLU -> split [Q | K | V] contiguous blocks; beta = sigmoid(b);
        g = -exp(A_log) * softplus(a + dt_bias); gated delta rule; gated RMSNorm with z; out_proj."""
        c, p = self.cfg, f"layers.{i}.linear_attn."
        t, hv, dv = x.shape[0], c.linear_num_value_heads, c.linear_value_head_dim
        mixed = self._linear(x, self.w.get(p + "in_proj_qkv.weight"))                    # [T, C]
        z = self._linear(x, self.w.get(p + "in_proj_z.weight")).reshape(t, hv, dv)
        b = self._linear(x, self.w.get(p + "in_proj_b.weight"))                          # [T, Hv]
        a = self._linear(x, self.w.get(p + "in_proj_a.weight"))
        conv, st["conv"] = causal_conv1d(mixed, self.w.get(p + "conv1d.weight")[:, 0, :], st["conv"])
        u = silu(conv)
        _tap(taps, f"layer.{i}.conv_out", u)
        kd = c.key_dim
        q = u[:, :kd].reshape(t, c.linear_num_key_heads, c.linear_key_head_dim)
        k = u[:, kd:2 * kd].reshape(t, c.linear_num_key_heads, c.linear_key_head_dim)
        v = u[:, 2 * kd:].reshape(t, hv, dv)
        beta = sigmoid(b)
        g = -np.exp(self.w.get(p + "A_log")) * softplus(a + self.w.get(p + "dt_bias"))
        _tap(taps, f"layer.{i}.beta", beta)
        _tap(taps, f"layer.{i}.g", g)
        recurrent = delta_mode == "recurrent" or (delta_mode == "auto" and has_previous and t == 1)
        rule = recurrent_gated_delta_rule if recurrent else chunk_gated_delta_rule
        core, st["rec"] = rule(q, k, v, g, beta, st["rec"] if has_previous else None)
        _tap(taps, f"layer.{i}.delta_out", core.reshape(t, hv * dv))
        y = rms_norm_gated(core, z, self.w.get(p + "norm.weight"), c.rms_norm_eps).reshape(t, hv * dv)
        _tap(taps, f"layer.{i}.gated_norm", y)
        return self._linear(y, self.w.get(p + "out_proj.weight"))
