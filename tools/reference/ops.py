"""Elementwise and normalisation primitives of the Qwen3.5 text decoder, in float64 numpy.

Each function names the transformers (modeling_qwen3_5.py) code it mirrors. Shapes are written in
PyTorch order; `...` is any leading shape. The HF code in fp32 performs exactly these operations;
here every intermediate is float64.
"""

import numpy as np

SOFTPLUS_THRESHOLD = 20.0  # torch.nn.functional.softplus default: returns x when x > threshold


def sigmoid(x):
    """torch.sigmoid, evaluated without overflow: exp is only taken of non-positive numbers."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def silu(x):
    """ACT2FN['silu'] = x * sigmoid(x)."""
    return x * sigmoid(x)


def softplus(x):
    """F.softplus(x) with beta=1, threshold=20: log1p(exp(x)), or x itself above the threshold."""
    safe = np.minimum(x, SOFTPLUS_THRESHOLD)
    return np.where(x > SOFTPLUS_THRESHOLD, x, np.log1p(np.exp(safe)))


def linear(x, w):
    """nn.Linear without bias: x [..., in] @ w[out, in]^T -> [..., out]."""
    return x @ w.T


def round_bf16(x):
    """x rounded as the engine's bf16 compute mode rounds activations: to float32, then to bfloat16
    with round-to-nearest-even (torch's float->bfloat16 cast); returned as float64. Finite x only."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32).astype(np.float64)


def rms_norm_zero_centred(x, w, eps):
    """Qwen3_5RMSNorm: x / sqrt(mean(x^2) + eps) * (1 + w), over the last dim. x [..., N], w [N]."""
    var = np.mean(x * x, axis=-1, keepdims=True)
    return x / np.sqrt(var + eps) * (1.0 + w)


def rms_norm_gated(x, gate, w, eps):
    """Qwen3_5RMSNormGated: (w * x / sqrt(mean(x^2) + eps)) * silu(gate); norm before gate, plain weight.
    x, gate [..., N], w [N]."""
    var = np.mean(x * x, axis=-1, keepdims=True)
    return (w * (x / np.sqrt(var + eps))) * silu(gate)


def l2norm(x, eps=1e-6):
    """modeling_qwen3_5.l2norm: x / sqrt(sum(x^2) + eps) over the last dim (eps added to the sum)."""
    return x / np.sqrt(np.sum(x * x, axis=-1, keepdims=True) + eps)


def rope_inv_freq(theta, rotary_dim):
    """Qwen3_5TextRotaryEmbedding.compute_default_rope_parameters: theta^(-(2i)/R), i < R/2 -> [R/2].
    (HF evaluates this in fp32; here it is exact float64.)"""
    return 1.0 / (theta ** (np.arange(0, rotary_dim, 2, dtype=np.float64) / rotary_dim))


def rope_cos_sin(positions, inv_freq):
    """Qwen3_5TextRotaryEmbedding.forward for text: the three M-RoPE position rows (T, H, W) are all the
    1-D position (Qwen3_5TextModel.forward expands one arange to every row), so the interleaved
    recomposition selects identical values and the result is plain 1-D RoPE.
    positions [T] -> cos, sin [T, R] (angles concatenated twice, as torch.cat((freqs, freqs)))."""
    ang = np.asarray(positions, dtype=np.float64)[:, None] * inv_freq[None, :]
    ang = np.concatenate([ang, ang], axis=-1)
    return np.cos(ang), np.sin(ang)


def rotate_half(x):
    """modeling_qwen3_5.rotate_half: cat(-x2, x1) over the last dim."""
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rotary(x, cos, sin):
    """apply_rotary_pos_emb for one tensor: NeoX rotation of the first R dims, the rest pass through.
    x [T, H, Dh], cos/sin [T, R] -> [T, H, Dh]."""
    r = cos.shape[-1]
    rot, rest = x[..., :r], x[..., r:]
    rot = rot * cos[:, None, :] + rotate_half(rot) * sin[:, None, :]
    return np.concatenate([rot, rest], axis=-1)


def softmax(x, axis=-1):
    """Numerically stable softmax (max subtracted; exp of non-positive numbers only)."""
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)
