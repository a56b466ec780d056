"""Parses a Qwen3.5 config.json into the text-decoder settings, with Hugging Face's defaults and rules.

Mirrors transformers' configuration_qwen3_5.py (Qwen3_5Config / Qwen3_5TextConfig dataclass defaults and
__post_init__) and RotaryEmbeddingConfigMixin.convert_rope_params_to_dict for the RoPE keys.
"""

import json
import os
from dataclasses import dataclass, field

# Qwen3_5TextConfig field defaults (configuration_qwen3_5.py).
TEXT_DEFAULTS = {
    "vocab_size": 248320,
    "hidden_size": 4096,
    "intermediate_size": 12288,
    "num_hidden_layers": 32,
    "num_attention_heads": 16,
    "num_key_value_heads": 4,
    "hidden_act": "silu",
    "max_position_embeddings": 32768,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False,
    "attention_bias": False,
    "head_dim": 256,
    "linear_conv_kernel_dim": 4,
    "linear_key_head_dim": 128,
    "linear_value_head_dim": 128,
    "linear_num_key_heads": 16,
    "linear_num_value_heads": 32,
}
DEFAULT_FULL_ATTENTION_INTERVAL = 4      # Qwen3_5TextConfig.__post_init__: kwargs.pop(..., 4)
DEFAULT_PARTIAL_ROTARY_FACTOR = 0.25     # Qwen3_5TextConfig.__post_init__: kwargs.setdefault(...)
DEFAULT_ROPE_THETA = 10000.0             # RotaryEmbeddingConfigMixin.default_theta
DEFAULT_MROPE_SECTION = [11, 11, 10]     # Qwen3_5TextRotaryEmbedding.__init__
LEGACY_LAYER_TYPES = {"mamba": "linear_attention", "attention": "full_attention"}  # remap_legacy_layer_types
LAYER_TYPES = ("linear_attention", "full_attention")


class ConfigError(ValueError):
    """config.json is unreadable or describes a model this reference cannot run; names the key."""


@dataclass(frozen=True)
class TextConfig:
    """The resolved text-decoder configuration (HF spelling for every field)."""
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    rms_norm_eps: float
    linear_conv_kernel_dim: int
    linear_key_head_dim: int
    linear_value_head_dim: int
    linear_num_key_heads: int
    linear_num_value_heads: int
    layer_types: tuple
    rope_theta: float
    partial_rotary_factor: float
    mrope_section: tuple
    mrope_interleaved: bool
    tie_word_embeddings: bool
    nested: bool                       # True: Qwen3_5ForConditionalGeneration layout (text_config)
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def rotary_dim(self):
        """Qwen3_5TextRotaryEmbedding.compute_default_rope_parameters: int(head_dim * factor)."""
        return int(self.head_dim * self.partial_rotary_factor)

    @property
    def key_dim(self):
        return self.linear_num_key_heads * self.linear_key_head_dim

    @property
    def value_dim(self):
        return self.linear_num_value_heads * self.linear_value_head_dim

    @property
    def conv_dim(self):
        return 2 * self.key_dim + self.value_dim


def _int(d, key, minimum=1):
    v = d.get(key, TEXT_DEFAULTS.get(key))
    if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
        raise ConfigError(f"config: '{key}' expected an integer >= {minimum}, got {v!r}")
    return v


def _layer_types(text):
    """Qwen3_5TextConfig.__post_init__: explicit layer_types (legacy names remapped) or the
    full_attention_interval pattern (layer i is full attention iff (i + 1) % interval == 0)."""
    n = _int(text, "num_hidden_layers")
    types = text.get("layer_types")
    if types is None:
        interval = text.get("full_attention_interval", DEFAULT_FULL_ATTENTION_INTERVAL)
        if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
            raise ConfigError(f"config: 'full_attention_interval' expected an integer >= 1, got {interval!r}")
        return tuple("linear_attention" if (i + 1) % interval else "full_attention" for i in range(n))
    if not isinstance(types, list) or len(types) != n:
        raise ConfigError(f"config: 'layer_types' expected a list of {n} entries (num_hidden_layers), "
                          f"got {types!r}")
    types = tuple(LEGACY_LAYER_TYPES.get(t, t) for t in types)
    for i, t in enumerate(types):
        if t not in LAYER_TYPES:
            raise ConfigError(f"config: 'layer_types[{i}]' expected one of {LAYER_TYPES}, got {t!r}")
    return types


def _rope(text):
    """RotaryEmbeddingConfigMixin.convert_rope_params_to_dict: legacy 'rope_scaling' replaces
    'rope_parameters'; rope_theta / partial_rotary_factor inside the dict win over top-level keys,
    which win over the defaults. Only rope_type 'default' exists for Qwen3.5 text."""
    params = text.get("rope_scaling") or text.get("rope_parameters") or {}
    if not isinstance(params, dict):
        raise ConfigError(f"config: 'rope_parameters' expected an object, got {params!r}")
    rope_type = params.get("rope_type", params.get("type", "default"))
    if rope_type != "default":
        raise ConfigError(f"config: 'rope_parameters.rope_type' expected 'default', got {rope_type!r}")
    theta = params.get("rope_theta", text.get("rope_theta", DEFAULT_ROPE_THETA))
    factor = params.get("partial_rotary_factor", text.get("partial_rotary_factor", DEFAULT_PARTIAL_ROTARY_FACTOR))
    for key, v in (("rope_theta", theta), ("partial_rotary_factor", factor)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise ConfigError(f"config: 'rope_parameters.{key}' expected a positive number, got {v!r}")
    if factor > 1:
        raise ConfigError(f"config: 'rope_parameters.partial_rotary_factor' expected <= 1, got {factor}")
    section = params.get("mrope_section", DEFAULT_MROPE_SECTION)
    if not isinstance(section, list) or not all(isinstance(s, int) for s in section):
        raise ConfigError(f"config: 'rope_parameters.mrope_section' expected a list of integers, got {section!r}")
    return float(theta), float(factor), tuple(section), bool(params.get("mrope_interleaved", False))


def _split_levels(raw):
    """Returns (text dict, nested?). model_type 'qwen3_5' keeps the decoder under
    'text_config' (absent -> all defaults, as Qwen3_5Config.__post_init__ does); 'qwen3_5_text' is flat."""
    model_type = raw.get("model_type")
    if model_type == "qwen3_5":
        text = raw.get("text_config")
        if text is None:
            text = {}
        if not isinstance(text, dict):
            raise ConfigError(f"config: 'text_config' expected an object, got {type(text).__name__}")
        return text, True
    if model_type == "qwen3_5_text":
        return raw, False
    raise ConfigError(f"config: 'model_type' expected 'qwen3_5' or 'qwen3_5_text', got {model_type!r}")


def _check_supported(text):
    """Settings HF accepts but that change the math this reference (and the engine) implements."""
    act = text.get("hidden_act", TEXT_DEFAULTS["hidden_act"])
    if act != "silu":
        raise ConfigError(f"config: 'hidden_act' expected 'silu', got {act!r}")
    if text.get("attention_bias", False) is not False:
        raise ConfigError(f"config: 'attention_bias' expected false, got {text.get('attention_bias')!r}")


def parse_config(raw):
    """config.json dict -> TextConfig. Raises ConfigError naming the offending key."""
    if not isinstance(raw, dict):
        raise ConfigError(f"config: expected a JSON object, got {type(raw).__name__}")
    text, nested = _split_levels(raw)
    _check_supported(text)
    ints = {k: _int(text, k) for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                                       "num_attention_heads", "num_key_value_heads", "linear_conv_kernel_dim",
                                       "linear_key_head_dim", "linear_value_head_dim", "linear_num_key_heads",
                                       "linear_num_value_heads")}
    head_dim = text.get("head_dim", TEXT_DEFAULTS["head_dim"])
    if head_dim is None:  # Qwen3_5Attention: getattr(config, "head_dim", hidden // heads)
        head_dim = ints["hidden_size"] // ints["num_attention_heads"]
    ints["head_dim"] = _int({"head_dim": head_dim}, "head_dim")
    eps = text.get("rms_norm_eps", TEXT_DEFAULTS["rms_norm_eps"])
    if not isinstance(eps, (int, float)) or isinstance(eps, bool) or eps <= 0:
        raise ConfigError(f"config: 'rms_norm_eps' expected a positive number, got {eps!r}")
    theta, factor, section, interleaved = _rope(text)
    # Tied when either level says so: the VLM wrapper and its text config both carry the flag.
    tie = any(d.get("tie_word_embeddings") is True for d in (raw, text))
    cfg = TextConfig(**ints, rms_norm_eps=float(eps), layer_types=_layer_types(text), rope_theta=theta,
                     partial_rotary_factor=factor, mrope_section=section, mrope_interleaved=interleaved,
                     tie_word_embeddings=tie, nested=nested, extra=dict(raw))
    _validate(cfg)
    return cfg


def _validate(cfg):
    """Divisibility rules the forward pass relies on (HF would fail later with a reshape error)."""
    if cfg.num_attention_heads % cfg.num_key_value_heads:
        raise ConfigError(f"config: 'num_attention_heads' ({cfg.num_attention_heads}) expected a multiple of "
                          f"'num_key_value_heads', got {cfg.num_key_value_heads}")
    if cfg.linear_num_value_heads % cfg.linear_num_key_heads:
        raise ConfigError(f"config: 'linear_num_value_heads' ({cfg.linear_num_value_heads}) expected a multiple "
                          f"of 'linear_num_key_heads', got {cfg.linear_num_key_heads}")
    if cfg.rotary_dim % 2:
        raise ConfigError(f"config: rotary dim int(head_dim * partial_rotary_factor) expected even, "
                          f"got {cfg.rotary_dim}")


def load_config(path):
    """Reads config.json (a path to the file or to the model directory)."""
    if os.path.isdir(path):
        path = os.path.join(path, "config.json")
    try:
        with open(path, "rb") as f:
            raw = json.loads(f.read().decode("utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"{path}: expected UTF-8 JSON, got a parse error ({e})") from None
    return parse_config(raw)
