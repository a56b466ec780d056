"""Tokenizer oracle client: encodes strings with Hugging Face `tokenizers` (npm, tools/oracles) through one
long-lived hf_tokenize.js subprocess (JSON lines), batching many strings per request and caching results.

Mirrors what transformers' `tokenizer(text, add_special_tokens=...)` does for Qwen tokenizers: tokenizer.json
as the pipeline, plus any tokenizer_config.json added_tokens_decoder entries missing from it (at their
declared ids). Qwen adds no BOS/EOS (add_bos_token false, ByteLevel post-processor).
"""

import json
import os
import subprocess
import weakref

HELPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf_tokenize.js")
ORACLE_MODULES = os.path.join(os.path.dirname(HELPER), "..", "oracles", "node_modules", "tokenizers")


class TokenizerError(ValueError):
    """The tokenizer files are unusable, the oracle is missing, or a text cannot be encoded."""


def oracle_available():
    """True when `scripts/oracles.sh` has installed the npm tokenizers package."""
    return os.path.isdir(ORACLE_MODULES) or bool(os.environ.get("HG_ORACLES_NODE_MODULES"))


def _read_json(path):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TokenizerError(f"{path}: expected readable UTF-8 JSON, got {e}") from None


def _extra_added_tokens(tokenizer_json, config):
    """tokenizer_config.json added_tokens_decoder entries whose content tokenizer.json lacks, by id."""
    known = {t.get("content") for t in tokenizer_json.get("added_tokens", [])}
    known |= set(tokenizer_json.get("model", {}).get("vocab", {}))
    extra = []
    for key, t in sorted(config.get("added_tokens_decoder", {}).items(), key=lambda kv: int(kv[0])):
        if t.get("content") not in known:
            extra.append({"content": t["content"], "id": int(key), "special": bool(t.get("special")),
                          "single_word": t.get("single_word", False), "lstrip": t.get("lstrip", False),
                          "rstrip": t.get("rstrip", False), "normalized": t.get("normalized", False)})
    return extra


class HfTokenizer:
    """A tokenizer directory (tokenizer.json, optional tokenizer_config.json). Not thread-safe."""

    def __init__(self, tokenizer_dir, node="node"):
        self.path = os.path.join(str(tokenizer_dir), "tokenizer.json")
        if not os.path.isfile(self.path):
            raise TokenizerError(f"{tokenizer_dir}: tokenizer.json expected, not found")
        config_path = os.path.join(str(tokenizer_dir), "tokenizer_config.json")
        config = _read_json(config_path) if os.path.isfile(config_path) else {}
        if config.get("add_bos_token") or config.get("add_eos_token") or config.get("split_special_tokens"):
            raise TokenizerError(f"{config_path}: add_bos_token / add_eos_token / split_special_tokens expected "
                                 f"false (Qwen tokenizers), got true")
        self._added = _extra_added_tokens(_read_json(self.path), config)
        self._node = node
        self._proc = None
        self._cache = {}

    def encode_many(self, texts, add_special_tokens=True):
        """[str] -> [[int]] token ids, special tokens in the text parsed (as HF `tokenizer(text)`)."""
        todo = sorted({t for t in texts if (t, add_special_tokens) not in self._cache})
        for t in todo:
            try:
                t.encode("utf-8")
            except UnicodeEncodeError as e:
                raise TokenizerError(f"tokenize: text expected valid Unicode, got {e.reason} at "
                                     f"index {e.start}") from None
        if todo:
            for t, ids in zip(todo, self._request(todo, add_special_tokens)):
                self._cache[(t, add_special_tokens)] = ids
        return [list(self._cache[(t, add_special_tokens)]) for t in texts]

    def encode(self, text, add_special_tokens=True):
        return self.encode_many([text], add_special_tokens)[0]

    def close(self):
        """Stops the helper process (also done when the object is collected)."""
        if self._proc is not None:
            self._finalizer()
            self._proc = None

    def _start(self):
        if not oracle_available():
            raise TokenizerError(f"tokenizer oracle not installed ({ORACLE_MODULES}); run scripts/oracles.sh")
        try:
            self._proc = subprocess.Popen([self._node, HELPER, self.path, json.dumps(self._added)],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as e:
            raise TokenizerError(f"tokenize: cannot run {self._node} ({e.strerror})") from None
        self._finalizer = weakref.finalize(self, _stop, self._proc)

    def _request(self, texts, add_special_tokens):
        if self._proc is None:
            self._start()
        line = json.dumps({"texts": texts, "add_special_tokens": add_special_tokens}) + "\n"
        try:
            self._proc.stdin.write(line.encode("utf-8"))
            self._proc.stdin.flush()
            reply = self._proc.stdout.readline()
        except BrokenPipeError:
            reply = b""
        if not reply:
            err = self._proc.stderr.read().decode("utf-8", "replace").strip()
            self.close()
            raise TokenizerError(f"tokenize: helper exited ({err or 'no message'})")
        reply = json.loads(reply.decode("utf-8"))
        if "error" in reply or len(reply.get("ids", [])) != len(texts):
            raise TokenizerError(f"tokenize: expected {len(texts)} results, got {reply.get('error', reply)}")
        return reply["ids"]


def _stop(proc):
    """Closes the helper's stdin (it exits at end of input) and reaps it."""
    try:
        proc.stdin.close()
        proc.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()
    for stream in (proc.stdout, proc.stderr):
        stream.close()
