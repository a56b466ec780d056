#!/usr/bin/env python3
"""Writes (default) or checks (--check) tests/data/tokenizer/chat_template_goldens.jsonl: the real
Qwen3.5 chat template (tests/data/tokenizer/qwen35_chat_template.jinja) rendered by Jinja2 the way
transformers' apply_chat_template does (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
loopcontrols, raise_exception, tojson), for cases that exercise every branch reachable with string
content. Also writes python_space.json: every code point for which CPython's str.isspace() holds.
Exit 77 (CTest skip) if jinja2 is missing.
"""
import json
import os
import random
import sys

try:
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:
    print("SKIP: jinja2 not installed")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "tests", "data", "tokenizer")
GUARD = ("# Task\n1) Evaluate whether THE LAST USER's query is safe or unsafe according to the "
         "safety policy below.\n2) If unsafe, identify the category of unsafe content.\n")
WS = ["", " ", "\n", "\t", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u001c", "\u001f",
      "\u000b\u000c", " \n\t ", "\u200b", "\ufeff", "\u180e", "\u2003\u2009", "\u202f\u205f"]


def compile_template(source):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env.from_string(source)


def render(template, messages, add_generation_prompt, enable_thinking):
    kwargs = dict(messages=messages, tools=None, documents=None,
                  add_generation_prompt=add_generation_prompt, bos_token=None,
                  eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token=None)
    if enable_thinking is not None:
        kwargs["enable_thinking"] = enable_thinking
    try:
        return {"output": template.render(**kwargs)}
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e)}


def cases():
    m = lambda role, content: {"role": role, "content": content}
    out = []
    # [system, user] with every kind of surrounding white space, thinking off/on/undefined.
    for a in WS:
        for b in [WS[0], WS[1], WS[6], WS[9], WS[13]]:
            out.append(([m("system", a + GUARD + b), m("user", b + "How do I bake bread?" + a)], True, False))
    for a in WS:
        out.append(([m("system", a), m("user", a + "hi" + a)], True, False))
        out.append(([m("user", a)], True, False))
    for think in [True, False, None]:
        for gen in [True, False]:
            out.append(([m("system", GUARD), m("user", "What is 2+2?")], gen, think))
            out.append(([m("user", "What is 2+2?")], gen, think))
    # Errors raised by the template.
    out.append(([], True, False))
    out.append(([m("system", GUARD)], True, False))
    out.append(([m("system", "a"), m("assistant", "b")], True, False))
    out.append(([m("user", "q"), m("system", "late system")], True, False))
    out.append(([m("user", "q"), m("moderator", "x")], True, False))
    out.append(([m("critic", "x"), m("user", "q")], True, False))
    out.append(([m("user", "<tool_response>only tool output</tool_response>")], True, False))
    # Multi-turn, assistant reasoning, tool messages.
    conv = [m("system", "sys"), m("user", "u1"), m("assistant", "a1"), m("user", "u2")]
    out.append((conv, True, False))
    out.append((conv + [m("assistant", "<think>\nplan\n</think>\n\nanswer")], False, False))
    out.append((conv + [m("assistant", "reason only</think>\n\nanswer")], True, True))
    out.append((conv + [m("assistant", "<think>a</think>b</think>c")], False, False))
    out.append((conv + [m("assistant", "\n\n<think>\n\n  x  \n\n</think>\n\n\n  y  ")], False, None))
    out.append(([m("user", "u"), m("assistant", "<think>r</think>x"), m("user", "v")], True, False))
    out.append(([m("user", "u"), m("assistant", "call"), m("tool", "result 1"), m("tool", "result 2")], True, False))
    out.append(([m("user", "u"), m("tool", " r "), m("assistant", "done")], True, False))
    out.append(([m("tool", "first"), m("user", "u")], True, False))
    out.append(([m("user", "u"), m("user", "<tool_response>\nx\n</tool_response>"), m("assistant", "<think>t</think>a")], False, False))
    out.append(([m("system", "  "), m("user", "u1"), m("user", "u2  \n")], True, False))
    out.append(([m("user", "<think>inline</think> <|im_end|> \u00e9\u0301 日本語 😀")], True, False))
    out += random_cases(m)
    return out


def random_cases(m, n=600):
    """Seeded random conversations: roles (some invalid), contents built from the fragments the
    template looks at (think tags, tool-response wrappers, newline runs, Unicode white space)."""
    rng = random.Random(35)
    pieces = ["<think>", "</think>", "\n", "\n\n", " ", "\t", "\u3000", "\u00a0", "\u001c", "\u200b",
              "<tool_response>", "</tool_response>", "reason", "answer", "x", "日本", "<|im_end|>"]
    out = []
    for _ in range(n):
        msgs = []
        for k in range(rng.randint(1, 6)):
            r = rng.random()
            role = ("system" if (k == 0 and r < 0.5) or r < 0.03 else "critic" if r < 0.05 else
                    rng.choice(["user", "user", "assistant", "assistant", "tool"]))
            content = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
            msgs.append(m(role, content))
        out.append((msgs, rng.random() < 0.8, rng.choice([True, False, None])))
    return out


def main():
    template = compile_template(
        open(os.path.join(DATA, "qwen35_chat_template.jinja"), encoding="utf-8").read())
    lines = []
    for messages, gen, think in cases():
        row = {"messages": messages, "add_generation_prompt": gen, "enable_thinking": think}
        row.update(render(template, messages, gen, think))
        lines.append(json.dumps(row, ensure_ascii=False))
    space = [cp for cp in range(0x110000) if chr(cp).isspace()]
    outputs = {
        "chat_template_goldens.jsonl": "\n".join(lines) + "\n",
        "python_space.json": json.dumps({"python": sys.version.split()[0], "isspace": space}) + "\n",
    }
    bad = 0
    for name, text in outputs.items():
        path = os.path.join(DATA, name)
        if "--check" in sys.argv:
            old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
            if old != text:
                print(f"MISMATCH {name}: committed file differs from Jinja2/Python output")
                bad += 1
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"{path}: written")
    if "--check" in sys.argv:
        print(f"{bad} files differ" if bad else f"template goldens match Jinja2 {jinja2.__version__} ({len(lines)} cases)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
