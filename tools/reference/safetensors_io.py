"""Reads and writes safetensors files (single file, or sharded through model.safetensors.index.json).

Part of the independent Python reference (tools/reference). Format, as specified by the safetensors
project: 8-byte little-endian header length N, N bytes of JSON header {name: {dtype, shape,
data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data buffer; offsets are relative to
the buffer, tensors are row-major, and the buffer is covered exactly (no holes, no overlap).
"""

import json
import math
import mmap
import os

import numpy as np

# safetensors dtype string -> (numpy storage dtype, bytes per element). BF16 is stored as raw uint16.
DTYPES = {
    "F64": (np.dtype("<f8"), 8),
    "F32": (np.dtype("<f4"), 4),
    "F16": (np.dtype("<f2"), 2),
    "BF16": (np.dtype("<u2"), 2),
    "I64": (np.dtype("<i8"), 8),
    "I32": (np.dtype("<i4"), 4),
    "I16": (np.dtype("<i2"), 2),
    "I8": (np.dtype("i1"), 1),
    "U8": (np.dtype("u1"), 1),
    "BOOL": (np.dtype("?"), 1),
}
FLOAT_DTYPES = ("F64", "F32", "F16", "BF16")
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the safetensors library's own limit
INDEX_NAME = "model.safetensors.index.json"
SINGLE_NAME = "model.safetensors"


class SafetensorsError(ValueError):
    """A malformed or inconsistent safetensors file; the message names the file and what was wrong."""


def bf16_to_f32(raw_u16):
    """BF16 bit patterns (uint16 array) -> float32 values, exactly (bf16 is the top half of an f32)."""
    return (raw_u16.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16(values):
    """float array -> BF16 bit patterns (uint16), rounding to nearest even like torch's .to(bfloat16)."""
    f = np.ascontiguousarray(values, dtype=np.float32)
    u = f.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    is_nan = np.isnan(f)
    return np.where(is_nan, np.uint16(0x7FC0), rounded).astype(np.uint16)


def _check_entry(path, name, entry, data_len):
    """Validates one header entry; returns (dtype, shape, begin, end)."""
    where = f"{path}: tensor '{name}'"
    if not isinstance(entry, dict):
        raise SafetensorsError(f"{where}: header entry must be an object, got {type(entry).__name__}")
    dtype = entry.get("dtype")
    if dtype not in DTYPES:
        raise SafetensorsError(f"{where}: dtype expected one of {sorted(DTYPES)}, got {dtype!r}")
    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                              for d in shape):
        raise SafetensorsError(f"{where}: shape expected a list of non-negative integers, got {shape!r}")
    offs = entry.get("data_offsets")
    if (not isinstance(offs, list) or len(offs) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offs)):
        raise SafetensorsError(f"{where}: data_offsets expected [begin, end] integers, got {offs!r}")
    begin, end = offs
    if not 0 <= begin <= end <= data_len:
        raise SafetensorsError(f"{where}: data_offsets {offs} outside the data buffer of {data_len} bytes "
                               f"(file truncated?)")
    want = math.prod(shape) * DTYPES[dtype][1]
    if end - begin != want:
        raise SafetensorsError(f"{where}: byte size expected {want} for {dtype} {shape}, got {end - begin}")
    return dtype, tuple(shape), begin, end


def _read_header(path, file_size, head):
    """Parses the length prefix and JSON header; returns (entries dict, metadata dict, data start)."""
    if file_size < 8:
        raise SafetensorsError(f"{path}: file size expected >= 8 bytes, got {file_size}")
    n = int.from_bytes(head[:8], "little")
    if n > MAX_HEADER_BYTES or 8 + n > file_size:
        raise SafetensorsError(f"{path}: header length expected <= {min(MAX_HEADER_BYTES, file_size - 8)}, "
                               f"got {n} (corrupt or truncated file)")
    try:
        header = json.loads(bytes(head[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: header expected UTF-8 JSON, got a parse error ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: header expected a JSON object, got {type(header).__name__}")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in metadata.items()):
        raise SafetensorsError(f"{path}: __metadata__ expected an object of strings, got {metadata!r}")
    return header, metadata, 8 + n


def _check_coverage(path, infos, data_len):
    """The buffer must be indexed entirely: sorted by offset, tensors abut with no hole or overlap."""
    pos = 0
    for name, (_, _, begin, end) in sorted(infos.items(), key=lambda kv: (kv[1][2], kv[1][3])):
        if begin != pos:
            raise SafetensorsError(f"{path}: tensor '{name}' begins at byte {begin}; expected {pos} "
                                   f"(hole or overlap in the data buffer)")
        pos = end
    if pos != data_len:
        raise SafetensorsError(f"{path}: data buffer expected {pos} bytes from the header, got {data_len}")


class SafetensorsFile:
    """One memory-mapped safetensors file. Not thread-safe to close while reading."""

    def __init__(self, path):
        self.path = str(path)
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        except OSError as e:
            raise SafetensorsError(f"{self.path}: cannot open ({e.strerror})") from None
        header, self.metadata, self._start = _read_header(self.path, size, self._map)
        data_len = size - self._start
        self._infos = {name: _check_entry(self.path, name, e, data_len) for name, e in header.items()}
        _check_coverage(self.path, self._infos, data_len)

    def names(self):
        """Tensor names in header order (sorted)."""
        return sorted(self._infos)

    def dtype(self, name):
        return self._infos[name][0]

    def shape(self, name):
        return self._infos[name][1]

    def raw(self, name):
        """Stored values as a read-only numpy view (uint16 bit patterns for BF16), shaped as stored."""
        dtype, shape, begin, end = self._infos[name]
        np_dtype = DTYPES[dtype][0]
        count = (end - begin) // np_dtype.itemsize
        arr = np.frombuffer(self._map, dtype=np_dtype, count=count, offset=self._start + begin)
        return arr.reshape(shape)

    def float64(self, name):
        """Float tensor -> float64 copy (exact upcast). Non-float dtypes raise SafetensorsError."""
        return to_float64(self.raw(name), self.dtype(name), f"{self.path}: tensor '{name}'")


def to_float64(raw, dtype, where):
    """Stored values (as returned by raw()) -> float64, exactly."""
    if dtype == "BF16":
        return bf16_to_f32(raw).astype(np.float64)
    if dtype in ("F64", "F32", "F16"):
        return raw.astype(np.float64)
    raise SafetensorsError(f"{where}: dtype expected one of {list(FLOAT_DTYPES)}, got {dtype}")


class Checkpoint:
    """All tensors of a checkpoint directory: model.safetensors, or the shards named by
    model.safetensors.index.json (the index wins when both exist, as in transformers)."""

    def __init__(self, model_dir):
        self.dir = str(model_dir)
        index_path = os.path.join(self.dir, INDEX_NAME)
        single_path = os.path.join(self.dir, SINGLE_NAME)
        self._where = {}  # tensor name -> SafetensorsFile
        if os.path.exists(index_path):
            self._open_sharded(index_path)
        elif os.path.exists(single_path):
            f = SafetensorsFile(single_path)
            self._where = {n: f for n in f.names()}
        else:
            raise SafetensorsError(f"{self.dir}: expected {SINGLE_NAME} or {INDEX_NAME}, found neither")

    def _open_sharded(self, index_path):
        try:
            with open(index_path, "rb") as fh:
                index = json.loads(fh.read().decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise SafetensorsError(f"{index_path}: expected a readable JSON index, got {e}") from None
        weight_map = index.get("weight_map") if isinstance(index, dict) else None
        if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
            raise SafetensorsError(f"{index_path}: expected a 'weight_map' object of file names")
        files = {}
        for shard in sorted(set(weight_map.values())):
            if os.path.basename(shard) != shard:
                raise SafetensorsError(f"{index_path}: shard name expected a plain file name, got {shard!r}")
            files[shard] = SafetensorsFile(os.path.join(self.dir, shard))
        for shard, f in files.items():
            for name in f.names():
                if name in self._where:
                    raise SafetensorsError(f"{index_path}: tensor '{name}' appears in two shards "
                                           f"({self._where[name].path} and {f.path})")
                self._where[name] = f
        for name, shard in weight_map.items():
            if self._where.get(name) is not files[shard]:
                raise SafetensorsError(f"{index_path}: tensor '{name}' expected in shard {shard}, "
                                       f"not found there")

    def names(self):
        return sorted(self._where)

    def __contains__(self, name):
        return name in self._where

    def file(self, name):
        """The SafetensorsFile holding `name` (KeyError if absent)."""
        return self._where[name]


def write_file(path, tensors, metadata=None):
    """Writes a safetensors file. tensors: {name: (dtype string, numpy array)}; float arrays are
    converted to the named dtype (BF16 with round-to-nearest-even). Data is laid out by decreasing
    element size, then name, so every tensor is aligned to its element size; the header is padded
    with spaces to a multiple of 8 bytes."""
    order = sorted(tensors, key=lambda n: (-DTYPES[tensors[n][0]][1], n))
    header, blobs, pos = {}, [], 0
    for name in order:
        dtype, arr = tensors[name]
        data = encode(np.asarray(arr), dtype)
        header[name] = {"dtype": dtype, "shape": list(np.shape(arr)), "data_offsets": [pos, pos + len(data)]}
        blobs.append(data)
        pos += len(data)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def encode(arr, dtype):
    """numpy array -> little-endian bytes in the given safetensors dtype."""
    if dtype == "BF16":
        return f32_to_bf16(arr).astype("<u2").tobytes()
    return np.ascontiguousarray(arr, dtype=DTYPES[dtype][0]).tobytes()


def write_sharded(model_dir, tensors, num_shards, metadata=None):
    """Splits tensors (sorted by name) over num_shards files model-0000i-of-0000n.safetensors and
    writes model.safetensors.index.json, as transformers' save_pretrained does."""
    names = sorted(tensors)
    weight_map, total = {}, 0
    for i in range(num_shards):
        shard = f"model-{i + 1:05d}-of-{num_shards:05d}.safetensors"
        part = {n: tensors[n] for n in names[i::num_shards]}
        write_file(os.path.join(model_dir, shard), part, metadata)
        weight_map.update({n: shard for n in part})
        total += sum(len(encode(np.asarray(a), d)) for d, a in part.values())
    with open(os.path.join(model_dir, INDEX_NAME), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
