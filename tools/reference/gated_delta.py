"""Gated DeltaNet kernels in float64: causal depthwise conv1d and the gated delta rule in its recurrent
and chunked forms (transformers modeling_qwen3_5.py: causal_conv1d_fn / causal_conv1d_update,
torch_recurrent_gated_delta_rule, torch_chunk_gated_delta_rule, always with use_qk_l2norm_in_kernel=True).

Legend: T tokens, Hk key heads, Hv value heads (a multiple of Hk), Dk / Dv head dims, C conv channels,
K conv taps. A recurrent state S is [Hv, Dk, Dv]; a conv state holds the last K-1 raw inputs [K-1, C].
"""

import numpy as np

from ops import l2norm

DEFAULT_CHUNK = 64  # torch_chunk_gated_delta_rule(chunk_size=64)


def causal_conv1d(x, weight, conv_state):
    """Depthwise causal conv, no bias, no activation (the caller applies SiLU).
    Mirrors causal_conv1d_fn over [cached inputs | new inputs] (Qwen3_5GatedDeltaNet.forward with a
    cache: update_conv_state, conv, keep the last T outputs) and causal_conv1d_update for one token.
    x [T, C] raw in_proj_qkv outputs; weight [C, K] (conv1d.weight squeezed); conv_state [K-1, C]
    (zeros at sequence start). Returns (out [T, C], new conv_state [K-1, C]).
    out[t, c] = sum_j weight[c, j] * xx[t + j, c] with xx = [conv_state; x] (tap K-1 = current token)."""
    k = weight.shape[1]
    xx = np.concatenate([conv_state, x], axis=0)            # [K-1+T, C]
    t = x.shape[0]
    out = np.zeros_like(x)
    for j in range(k):
        out += xx[j:j + t] * weight[:, j][None, :]
    return out, xx[xx.shape[0] - (k - 1):].copy()


def _prepare(q, k, v, g, beta):
    """Shared prologue of both HF kernels: repeat_interleave q/k to Hv heads (value head n reads key
    head n // (Hv / Hk)), L2-normalise q and k (eps 1e-6), scale q by 1/sqrt(Dk)."""
    hk, hv = q.shape[1], v.shape[1]
    if hk != hv:
        q = np.repeat(q, hv // hk, axis=1)
        k = np.repeat(k, hv // hk, axis=1)
    q = l2norm(q) / np.sqrt(q.shape[-1])
    k = l2norm(k)
    return q, k, v, g, beta


def recurrent_gated_delta_rule(q, k, v, g, beta, state):
    """torch_recurrent_gated_delta_rule, token by token: S = exp(g) S; d = beta (v - S^T k);
    S += k d^T; o = S^T q.
    q, k [T, Hk, Dk]; v [T, Hv, Dv]; g, beta [T, Hv]; state [Hv, Dk, Dv] or None (zeros).
    Returns (o [T, Hv, Dv], final state [Hv, Dk, Dv])."""
    q, k, v, g, beta = _prepare(q, k, v, g, beta)
    t_len, hv, dv = v.shape
    s = np.zeros((hv, q.shape[-1], dv)) if state is None else state.copy()
    out = np.zeros((t_len, hv, dv))
    for t in range(t_len):
        s = s * np.exp(g[t])[:, None, None]
        kv_mem = np.einsum("hkv,hk->hv", s, k[t])
        delta = (v[t] - kv_mem) * beta[t][:, None]
        s = s + k[t][:, :, None] * delta[:, None, :]
        out[t] = np.einsum("hkv,hk->hv", s, q[t])
    return out, s


def _solve_unit_lower(a, b):
    """Solves (I + tril(a, -1)) x = b by forward substitution, as solve_triangular(..., upper=False,
    unitriangular=True) does (the diagonal of a is ignored). a [..., n, n], b [..., n, m]."""
    x = np.empty_like(b)
    for i in range(b.shape[-2]):
        x[..., i, :] = b[..., i, :] - np.einsum("...j,...jm->...m", a[..., i, :i], x[..., :i, :])
    return x


def _chunk_tensors(q, k, v, g, beta, chunk):
    """Pads T to a multiple of `chunk` with zeros (k = 0, g = 0, beta = 0 rows neither write nor decay)
    and reshapes to head-major chunks: q, k [Hv, N, C, Dk], v [Hv, N, C, Dv], g, beta [Hv, N, C]."""
    t_len = q.shape[0]
    pad = (chunk - t_len % chunk) % chunk

    def padded(x):
        x = np.concatenate([x, np.zeros((pad,) + x.shape[1:])], axis=0)
        x = np.moveaxis(x, 0, 1)                              # [Hv, T', ...]
        return x.reshape((x.shape[0], -1, chunk) + x.shape[2:])
    return [padded(x) for x in (q, k, v, g, beta)]


def chunk_gated_delta_rule(q, k, v, g, beta, state, chunk=DEFAULT_CHUNK):
    """torch_chunk_gated_delta_rule: the same recurrence evaluated chunk by chunk with the UT transform.
    Per chunk (G = cumsum(g), D[i, j] = exp(G_i - G_j) for j <= i, masked to 0 above the diagonal
    BEFORE exp): L = I + strictly-lower(beta_i k_i.k_j D); U = L^-1 (beta v); W = L^-1 (beta exp(G) k);
    Vn = U - W S; o = exp(G) q S + (q k^T * D) Vn; S' = exp(G_last) S + (exp(G_last - G) k)^T Vn.
    Arguments and result as recurrent_gated_delta_rule."""
    q, k, v, g, beta = _prepare(q, k, v, g, beta)
    t_len, hv, dv = v.shape
    q, k, v, g, beta = _chunk_tensors(q, k, v, g, beta, chunk)
    k_beta, v_beta = k * beta[..., None], v * beta[..., None]
    cum = np.cumsum(g, axis=-1)                                 # [Hv, N, C]
    diff = cum[..., :, None] - cum[..., None, :]                # [Hv, N, C, C] = G_i - G_j
    upper = np.triu(np.ones((chunk, chunk), dtype=bool), 1)
    decay = np.exp(np.where(upper, -np.inf, diff))
    ut = (k_beta @ np.swapaxes(k, -1, -2)) * decay
    intra = (q @ np.swapaxes(k, -1, -2)) * decay
    new_values = _solve_unit_lower(ut, v_beta)
    k_cumdecay = _solve_unit_lower(ut, k_beta * np.exp(cum)[..., None])
    q_dec = q * np.exp(cum)[..., None]
    k_dec = k * np.exp(cum[..., -1:] - cum)[..., None]
    s = np.zeros((hv, q.shape[-1], dv)) if state is None else state.copy()
    out = np.zeros_like(new_values)
    for n in range(q.shape[1]):
        v_new = new_values[:, n] - k_cumdecay[:, n] @ s
        out[:, n] = q_dec[:, n] @ s + intra[:, n] @ v_new
        s = s * np.exp(cum[:, n, -1])[:, None, None] + np.swapaxes(k_dec[:, n], -1, -2) @ v_new
    out = out.reshape(hv, -1, dv)[:, :t_len]
    return np.moveaxis(out, 0, 1), s
