#!/usr/bin/env python3
"""End-to-end check of `haloguard tokenize` (CTest tokenize_cli): encodes the golden corpus with
the tiny tokenizer and compares ids with goldens/encode_tiny.jsonl (HF tokenizers output) and
tokens with the vocab; decodes goldens/decode_tiny.jsonl; feeds bad lines (ill-formed UTF-8, lone
surrogate escape, non-string JSON) and expects per-line errors and exit status 1.
Usage: check_tokenize_cli.py HALOGUARD_BINARY
"""
import json
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DATA = os.path.join(ROOT, "tests", "data")
TINY = os.path.join(DATA, "tiny_tokenizer")


def run(binary, args, stdin_bytes):
    p = subprocess.run([binary, "tokenize", "--tokenizer", TINY] + args, input=stdin_bytes,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return p.returncode, [json.loads(l) for l in p.stdout.decode("utf-8").split("\n") if l]


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f.read().split("\n") if l]


def main():
    binary = sys.argv[1]
    tj = json.load(open(os.path.join(TINY, "tokenizer.json"), encoding="utf-8"))
    cfg = json.load(open(os.path.join(TINY, "tokenizer_config.json"), encoding="utf-8"))
    id_to_token = {v: k for k, v in tj["model"]["vocab"].items()}
    id_to_token.update({int(k): v["content"] for k, v in cfg["added_tokens_decoder"].items()})

    corpus = jsonl(os.path.join(DATA, "tokenizer", "corpus.jsonl"))
    golden = jsonl(os.path.join(DATA, "tokenizer", "goldens", "encode_tiny.jsonl"))
    lines = "".join(json.dumps(s) + "\n" for s in corpus).encode("utf-8")
    rc, out = run(binary, [], lines)
    assert rc == 0, f"encode exit status {rc}"
    assert len(out) == len(corpus), f"{len(out)} output lines for {len(corpus)} inputs"
    for i, (o, g) in enumerate(zip(out, golden)):
        assert o["ids"] == g["ids"], f"line {i + 1}: ids {o['ids'][:20]} != golden {g['ids'][:20]}"
        assert o["tokens"] == [id_to_token[t] for t in o["ids"]], f"line {i + 1}: tokens"

    dec = jsonl(os.path.join(DATA, "tokenizer", "goldens", "decode_tiny.jsonl"))
    ids_lines = "".join(json.dumps(d["ids"]) + "\n" for d in dec).encode("utf-8")
    for flag, key in (([], "text"), (["--skip-special-tokens"], "text_skip")):
        rc, out = run(binary, ["--decode"] + flag, ids_lines)
        assert rc == 0 and out == [d[key] for d in dec], f"decode {flag} differs from HF"

    bad = b'"ok"\n"caf\xc3\xa9 \xff"\n"\\ud800"\n42\n\n{"x": 1}\n"fine"\n'
    rc, out = run(binary, [], bad)
    assert rc == 1, f"bad input exit status {rc}, expected 1"
    assert [("error" in o) for o in out] == [False, True, True, True, True, False], out
    assert "line 2" in out[1]["error"] and "UTF-8" in out[1]["error"], out[1]
    assert "surrogate" in out[2]["error"], out[2]
    print(f"tokenize CLI: {len(corpus)} encodes and {2 * len(dec)} decodes match HF; bad lines rejected")


if __name__ == "__main__":
    main()
