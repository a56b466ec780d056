"""The Qwen3.5 text-decoder weight table and a validating, lazily upcasting loader.

One table (expected_tensors) drives presence, shape and dtype checks. Names are HF tensor names under
'model.language_model.' (Qwen3_5ForConditionalGeneration) or 'model.' (Qwen3_5ForCausalLM);
'model.visual.*' and 'mtp.*' are ignored (Qwen3_5PreTrainedModel._keys_to_ignore_on_load_unexpected).
"""

from safetensors_io import Checkpoint, SafetensorsError, to_float64

PREFIXES = ("model.language_model.", "model.")
IGNORED_PREFIXES = ("model.visual.", "mtp.")
LM_HEAD = "lm_head.weight"
DEFAULT_CACHE_BYTES = 1 << 30


class WeightError(ValueError):
    """A missing, unexpected or mis-shaped tensor; the message names it with expected vs found."""


def layer_tensors(cfg, i):
    """Tensor name (relative to the prefix) -> shape for decoder layer i (Qwen3_5DecoderLayer.__init__)."""
    d, p = cfg.hidden_size, f"layers.{i}."
    t = {p + "input_layernorm.weight": (d,), p + "post_attention_layernorm.weight": (d,),
         p + "mlp.gate_proj.weight": (cfg.intermediate_size, d),
         p + "mlp.up_proj.weight": (cfg.intermediate_size, d),
         p + "mlp.down_proj.weight": (d, cfg.intermediate_size)}
    if cfg.layer_types[i] == "linear_attention":   # Qwen3_5GatedDeltaNet.__init__
        a, hv = p + "linear_attn.", cfg.linear_num_value_heads
        t.update({a + "in_proj_qkv.weight": (cfg.conv_dim, d), a + "in_proj_z.weight": (cfg.value_dim, d),
                  a + "in_proj_b.weight": (hv, d), a + "in_proj_a.weight": (hv, d),
                  a + "conv1d.weight": (cfg.conv_dim, 1, cfg.linear_conv_kernel_dim),
                  a + "dt_bias": (hv,), a + "A_log": (hv,), a + "norm.weight": (cfg.linear_value_head_dim,),
                  a + "out_proj.weight": (d, cfg.value_dim)})
    else:                                          # Qwen3_5Attention.__init__
        a, hd = p + "self_attn.", cfg.head_dim
        t.update({a + "q_proj.weight": (cfg.num_attention_heads * hd * 2, d),
                  a + "k_proj.weight": (cfg.num_key_value_heads * hd, d),
                  a + "v_proj.weight": (cfg.num_key_value_heads * hd, d),
                  a + "o_proj.weight": (d, cfg.num_attention_heads * hd),
                  a + "q_norm.weight": (hd,), a + "k_norm.weight": (hd,)})
    return t


def expected_tensors(cfg):
    """Every text-model tensor (relative name -> shape), lm_head excluded (it is optional)."""
    t = {"embed_tokens.weight": (cfg.vocab_size, cfg.hidden_size), "norm.weight": (cfg.hidden_size,)}
    for i in range(cfg.num_hidden_layers):
        t.update(layer_tensors(cfg, i))
    return t


def _detect_prefix(names, where):
    """'model.language_model.' if the checkpoint uses it, else 'model.'; both at once is ambiguous."""
    has = [p for p in PREFIXES if p + "embed_tokens.weight" in names]
    if len(has) == 2:
        raise WeightError(f"{where}: expected one of {PREFIXES} for embed_tokens.weight, found both")
    if not has:
        raise WeightError(f"{where}: tensor 'model.language_model.embed_tokens.weight' (or "
                          f"'model.embed_tokens.weight') expected, not found")
    return has[0]


class Weights:
    """Validated access to a checkpoint's text weights as float64. Matrices are upcast on first use and
    cached up to cache_bytes (so a full 0.8B/4B-shaped checkpoint runs without a float64 copy of every
    weight); embedding rows are read on demand. Not thread-safe."""

    def __init__(self, model_dir, cfg, cache_bytes=DEFAULT_CACHE_BYTES):
        try:
            self._ckpt = Checkpoint(model_dir)
        except SafetensorsError as e:
            raise WeightError(str(e)) from None
        self.cfg, self.dir = cfg, str(model_dir)
        names = set(self._ckpt.names())
        self.prefix = _detect_prefix(names, self.dir)
        self._expected = {self.prefix + n: s for n, s in expected_tensors(cfg).items()}
        self.has_lm_head = LM_HEAD in names
        if self.has_lm_head:
            self._expected[LM_HEAD] = (cfg.vocab_size, cfg.hidden_size)
        elif not cfg.tie_word_embeddings:
            raise WeightError(f"{self.dir}: tensor '{LM_HEAD}' expected (tie_word_embeddings is false), not found")
        self._check(names)
        self._cache, self._cache_left = {}, cache_bytes

    def _check(self, names):
        for name in sorted(names):
            if name in self._expected or name.startswith(IGNORED_PREFIXES):
                continue
            raise WeightError(f"{self.dir}: tensor '{name}' unexpected for this config (not a "
                              f"{self.prefix}* text weight, lm_head, model.visual.* or mtp.*)")
        for name, shape in self._expected.items():
            if name not in names:
                raise WeightError(f"{self.dir}: tensor '{name}' expected with shape {list(shape)}, not found")
            f = self._ckpt.file(name)
            if tuple(f.shape(name)) != shape:
                raise WeightError(f"{self.dir}: tensor '{name}' shape expected {list(shape)}, "
                                  f"got {list(f.shape(name))}")
            if f.dtype(name) not in ("BF16", "F16", "F32"):
                raise WeightError(f"{self.dir}: tensor '{name}' dtype expected BF16, F16 or F32, "
                                  f"got {f.dtype(name)}")

    def dtype(self, rel_name):
        name = rel_name if rel_name == LM_HEAD else self.prefix + rel_name
        return self._ckpt.file(name).dtype(name)

    def get(self, rel_name):
        """float64 copy of a text tensor named relative to the prefix (e.g. 'layers.0.mlp.up_proj.weight')."""
        name = self.prefix + rel_name
        if name in self._cache:
            return self._cache[name]
        arr = self._ckpt.file(name).float64(name)
        if arr.nbytes <= self._cache_left:
            self._cache[name] = arr
            self._cache_left -= arr.nbytes
        return arr

    def embedding_rows(self, ids):
        """embed_tokens rows for token ids [T] -> [T, D] float64 (nn.Embedding lookup, no scaling)."""
        return self.head_rows(ids, self.prefix + "embed_tokens.weight")

    def head_rows(self, rows, name=None):
        """LM-head rows -> [len(rows), D] float64. The head is lm_head.weight when present, else the tied
        embed_tokens (Qwen3_5ForConditionalGeneration._tied_weights_keys)."""
        if name is None:
            name = LM_HEAD if self.has_lm_head else self.prefix + "embed_tokens.weight"
        f = self._ckpt.file(name)
        return to_float64(f.raw(name)[list(rows)], f.dtype(name), name)
