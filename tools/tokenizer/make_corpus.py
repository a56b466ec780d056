#!/usr/bin/env python3
"""Builds tests/data/tokenizer/corpus.jsonl: the tokenizer golden corpus (one JSON string a line).

Deterministic (fixed seed). Sources: corpus_sentences.txt (sentences written for this project),
text written here, and code points sampled from Unicode blocks with Python's unicodedata. Covers
every script group of the model card, emoji ZWJ sequences, combining marks, odd whitespace, digit
runs, contractions, code, URLs, inline special tokens, very long words, and the characters where
Unicode versions differ (normalizer: Unicode 9.0; regex classes: 16.0; our ICU: 15.0).
Run: python3 tools/tokenizer/make_corpus.py
"""
import json
import os
import random
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "tests", "data", "tokenizer", "corpus.jsonl")
rng = random.Random(20240611)

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|box_end|>",
            "<|vision_start|>", "<|image_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>",
            "<|file_sep|>", "<tool_response>", "</tool_response>", "<think>", "</think>",
            "<|audio_start|>", "<tts_pad>", "<tts_text_bos_single>", "<|audio_pad|>"]

# Blocks sampled for random script text: (name, first, last).
BLOCKS = [
    ("Latin-1", 0xC0, 0xFF), ("Latin Ext-A", 0x100, 0x17F), ("Latin Ext-B", 0x180, 0x24F),
    ("IPA", 0x250, 0x2AF), ("Greek", 0x370, 0x3FF), ("Cyrillic", 0x400, 0x4FF),
    ("Armenian", 0x530, 0x58F), ("Hebrew", 0x591, 0x5F4), ("Arabic", 0x600, 0x6FF),
    ("Syriac", 0x700, 0x74F), ("Thaana", 0x780, 0x7B1), ("NKo", 0x7C0, 0x7FF),
    ("Devanagari", 0x900, 0x97F), ("Bengali", 0x980, 0x9FF), ("Gurmukhi", 0xA00, 0xA7F),
    ("Gujarati", 0xA80, 0xAFF), ("Oriya", 0xB00, 0xB7F), ("Tamil", 0xB80, 0xBFF),
    ("Telugu", 0xC00, 0xC7F), ("Kannada", 0xC80, 0xCFF), ("Malayalam", 0xD00, 0xD7F),
    ("Sinhala", 0xD80, 0xDFF), ("Thai", 0xE00, 0xE7F), ("Lao", 0xE80, 0xEFF),
    ("Tibetan", 0xF00, 0xFFF), ("Myanmar", 0x1000, 0x109F), ("Georgian", 0x10A0, 0x10FF),
    ("Hangul Jamo", 0x1100, 0x11FF), ("Ethiopic", 0x1200, 0x137F), ("Cherokee", 0x13A0, 0x13FF),
    ("Khmer", 0x1780, 0x17FF), ("Mongolian", 0x1800, 0x18AF), ("Combining Ext", 0x1AB0, 0x1AFF),
    ("Balinese", 0x1B00, 0x1B7F), ("Combining Suppl", 0x1DC0, 0x1DFF), ("Greek Ext", 0x1F00, 0x1FFF),
    ("Punctuation", 0x2000, 0x206F), ("Super/Sub", 0x2070, 0x209F), ("Currency", 0x20A0, 0x20C0),
    ("Letterlike", 0x2100, 0x214F), ("Number Forms", 0x2150, 0x218F), ("Arrows", 0x2190, 0x21FF),
    ("Math", 0x2200, 0x22FF), ("Box", 0x2500, 0x257F), ("Dingbats", 0x2700, 0x27BF),
    ("CJK Punct", 0x3000, 0x303F), ("Hiragana", 0x3041, 0x309F), ("Katakana", 0x30A0, 0x30FF),
    ("Hangul Compat", 0x3130, 0x318F), ("CJK", 0x4E00, 0x9FFF), ("Yi", 0xA000, 0xA4CF),
    ("Hangul", 0xAC00, 0xD7A3), ("Halfwidth", 0xFF00, 0xFFEF), ("Arabic Pres-A", 0xFB50, 0xFDFF),
    ("Arabic Pres-B", 0xFE70, 0xFEFF), ("Gothic", 0x10330, 0x1034F), ("Math Alnum", 0x1D400, 0x1D7FF),
    ("Emoji", 0x1F300, 0x1F64F), ("Emoji Suppl", 0x1F900, 0x1F9FF), ("CJK Ext B", 0x20000, 0x2A6DF),
    ("Adlam", 0x1E900, 0x1E95F), ("Private Use", 0xE000, 0xE0FF),
]

# Code points whose properties differ between Unicode versions that matter here.
VERSION_PROBES = [
    0x31350, 0x1E030, 0x11F00, 0x11F03, 0x11F41, 0x1D2C0, 0x1E290, 0x10570, 0x2EBF0, 0x2EE5D,
    0x2EE5E, 0x2FFC, 0x31EF, 0x1F6DC, 0x10D40, 0x10D4A, 0x10D50, 0x1E5D0, 0x105C0, 0x1CCF0,
    0x1C89, 0x0897, 0x1AC0, 0x10940, 0x11DB0, 0x1E6C0, 0x323B0, 0x16EA0, 0x0378, 0xE000, 0xFFFF,
    0x10FFFD, 0x180E, 0x200B, 0xFEFF, 0x1C, 0x1D, 0x1E, 0x1F, 0x85, 0xA0, 0x1680, 0x2007,
    0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0x16FF0, 0x1B11F, 0x1F1E6, 0x0C5D, 0x0CF3, 0x1E4D0,
]

# NFC cases: (text, note). Unicode 9.0 normalizer vs later data, reordering, composition.
NFC_CASES = [
    "e\u0301", "E\u0301\u0323", "a\u0323\u0302", "a\u0302\u0323", "A\u030A", "\u212B", "\u2126",
    "\u1100\u1161\u11A8", "\uAC00\u11A8", "\u1100\u1161", "\u0958", "\u0915\u093C", "\u0F73",
    "\u0F71\u0F72", "a\u0F72\u0F71", "\u0B47\u0B3E", "\u0DD9\u0DCF\u0DCA",
    "\U00011935\U00011930", "\U00016D67\U00016D67", "\U000113C2\U000113C2", "\U0001611E\U0001611E",
    "\U000105D2\u0307", "a\u1AC1\u0316", "a\u1DF6\u0316", "a\u0898\u0316", "a\u0316\u1AC1",
    "a\u0334\u1DFA", "\u00C7\u0301", "C\u0327\u0301", "o\u0308\u0304", "\u01D5\u0301",
    "\u1E9B\u0323", "\u0344", "\u0340\u0341", "\u0374", "\u037E", "\u0387", "\u1F71",
    "\u2ADC", "\uFB1D", "\uFB2A", "\U0001D15E", "\U0001D160", "\u3099\u309A", "\u304B\u3099",
    "\u30A6\u3099", "\u05D1\u05BC", "\u0627\u0653", "\u0648\u0654", "\u09C7\u09BE", "\u0B92\u0BD7",
    "\u0CC6\u0CC2\u0CD5", "\u0D46\u0D3E", "\u1025\u102E", "\u1B05\u1B35", "\U000110A5\U000110BA",
    "\U00011131\U00011127", "\U00011347\U0001133E", "\U000114B9\U000114BA", "\U000115B8\U000115AF",
    "x\u0305\u0332\u0305\u0332", "q\u0307\u0323\u031B", "\u1E0B\u0323", "\u1E0D\u0307",
    "\u0041\u0300\u0301\u0302\u0303\u0304", "\u00E9\u0300", "\u0065\u0300\u0301",
]

TEXT_CASES = [
    # contractions in many cases
    "I'm sure you're right, but we've said they'll go and he'd stay.",
    "DON'T SHOUT, I'M HERE. YOU'RE LATE. WE'VE WAITED. THEY'LL COME. SHE'D KNOW. IT'S OK.",
    "it'S we'Ve they'lL she'D I'M you'Re", "'s 't 're 've 'm 'll 'd", "'S'T'RE'VE'M'LL'D",
    "y'all'd've", "rock 'n' roll", "the '90s and '80s", "o'clock O'Neill d'Artagnan l'été",
    "don’t can’t won’t (curly apostrophes)", "'ſ 'ſt ſ'ſ 'ſa 'Ks", "x'RE x're x'rE", "''s '''",
    "can't've isn't", "'sss 'tt 'lll 'dd 'mm", "'\u017F\u017F", "'ll\n're\t've",
    "an unreachable word, unreachable again; Unreachable unreachable's",  # ignore_merges config
    # whitespace
    "  spaced  text\n", "a   b", "trailing   ", "   leading", "tab\there  \n\n\t x   y\r\n",
    "\r\n\r\n\r\n", "\n\n\n\nx", "x\n \n \n", " \n", "\t\t\t", "a\u00A0\u00A0b", "a\u3000b\u3000\u3000c",
    "a\u2028b\u2029c", "a\u0085b", "a\u1680b", "line1\rline2\rline3", "mixed \t \u00A0 \n \u2003 end",
    "a\u200Bb\uFEFFc", "a\u001Cb\u001Dc\u001Ed\u001Ff", "\u000B\u000C", "   ", " ", "\n", "",
    "word \n\n  word", " !!! ???\n\n", "a\r\r\nb", "foo\n\n\n   bar   \n", "   \t\n\t  x",
    # digits
    "1234567890123456789012345678901234567890", "3.14159265358979 2.718281828 -42 +7 1e10",
    "Phone: +1 (555) 123-4567, ZIP 90210, year 2024/05/31", "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳ ०१२३४ ১২৩ ௧௨௩",
    "１２３４５ ①②③ ⅠⅡⅢⅣ ½ ¾ ² ³ ¹", "1,000,000.00 1.000.000,00 1 000 000", "0x1F600 0b1010 0o777",
    # code
    "def f(x):\n    return x ** 2  # square\n", "int main() { printf(\"%d\\n\", 42); return 0; }",
    "for (auto& [k, v] : map) { std::cout << k << '=' << v << '\\n'; }",
    "{\"key\": [1, 2, {\"nested\": null}], \"ok\": true}", "<div class=\"a\">Hello &amp; bye</div>",
    "SELECT * FROM users WHERE id = 42 AND name LIKE '%o''brien%';", "ls -la | grep '\\.py$' > out.txt 2>&1",
    "const re = /^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+)@example\\.com$/i;", "x+=1;y-=2;z*=3;w/=4;",
    "if err != nil {\n\treturn fmt.Errorf(\"wrap: %w\", err)\n}", "    indented\n        more\n\t\ttabs",
    # URLs and paths
    "https://example.com/path/to/page?query=1&lang=en#section-2", "mailto:someone@example.org",
    "C:\\Users\\Admin\\Documents\\file (1).txt", "/usr/local/lib/python3.11/site-packages/",
    "ftp://user:pass@host:21/dir/file.tar.gz", "www.例子.测试/路径?参数=值",
    # inline special tokens
    "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n", "<think>\n\n</think>\n\nSafety: safe",
    "text<|endoftext|>more<|endoftext|><|endoftext|>", "<|im_start|", "<|im_end|", "<<|im_end|>>",
    "< |im_end| >", "<|IM_END|>", "<tool_call>{\"name\": \"f\"}</tool_call>", "a<think>b</think>c",
    " <|im_start|> ", "\n<|im_end|>\n", "<tool_response>\nok\n</tool_response>", "<|fim_prefix|>x<|fim_suffix|>",
    "<tts_text_bos_single><tts_text_bos><tts_pad>", "<|audio_start|><|audio_pad|><|audio_end|>",
    "<|vision_start|><|image_pad|><|vision_end|>", "<|im_start|>system\n<|im_start|>", "<think><think>",
    "</think></tool_call></tool_response>", "<|box_start|>(1,2),(3,4)<|box_end|>",
    # emoji
    "👨‍👩‍👧‍👦 family", "🏳️‍🌈 flag", "👍🏽👍🏿", "🇺🇸🇯🇵🇩🇪", "1️⃣ #️⃣ *️⃣", "🧑🏻‍💻 coding", "❤️‍🔥", "😀😃😄😁",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland", "👩‍❤️‍💋‍👨", "emoji🙂inside🙃words", "🫠🫡🫶 newer emoji",
    # very long words
    "a" * 300, "ab" * 200, "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    "x" * 1000 + " " + "y" * 65, "😀" * 100, "日本" * 150, "=" * 200, "-_" * 120, "9" * 500,
    " " * 300 + "x", "\n" * 200, "http://" + "a" * 400 + ".com",
    # odd
    "\u0000\u0001\u0007\u007F", "\uFFFD replacement", "\u202Eright-to-left override\u202C",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇", "ǅ ǈ ǋ ǲ titlecase", "ﬁ ﬂ ﬀ ligatures", "ℌ𝔢𝔩𝔩𝔬 𝕨𝕠𝕣𝕝𝕕",
    "Ⅷ ↉ ⓐ ㉑", "İstanbul ıi IJ ĳ", "straße STRASSE ẞ", "µ μ Å Å", "ﷺ ﷻ",
]

def assigned(cp):
    return unicodedata.category(chr(cp)) not in ("Cn", "Cs")

def random_script_text(lo, hi, n_words):
    pool = [cp for cp in range(lo, hi + 1) if assigned(cp)]
    words = []
    for _ in range(n_words):
        w = "".join(chr(rng.choice(pool)) for _ in range(rng.randint(1, 8)))
        words.append(w)
    seps = [" ", " ", " ", "  ", "\n", ", ", ". ", "\t", "", "1", "'s "]
    return "".join(w + rng.choice(seps) for w in words).rstrip(" ")

def random_any(n):
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.3:
            cp = rng.randint(0x20, 0x7E)
        elif r < 0.5:
            cp = rng.randint(0x80, 0x2FFF)
        elif r < 0.8:
            cp = rng.randint(0x3000, 0xFFFF)
        else:
            cp = rng.randint(0x10000, 0x10FFFF)
        if 0xD800 <= cp <= 0xDFFF:
            cp = 0xFFFD
        out.append(chr(cp))
    return "".join(out)

def main():
    lines = []
    sentences = []
    with open(os.path.join(HERE, "corpus_sentences.txt"), encoding="utf-8") as f:
        for row in f:
            lang, text = row.rstrip("\n").split("\t", 1)
            sentences.append(text)
    lines += sentences
    lines += TEXT_CASES
    lines += NFC_CASES
    for cp in VERSION_PROBES:
        c = chr(cp)
        lines += ["a" + c + "b 1" + c + "2 " + c, c + c + " x" + c, "'" + c + "s", c + "\u0301" + c]
    # Sentence variants: case, whitespace, specials, concatenations.
    for s in sentences:
        lines.append(s.upper())
        lines.append("  " + s.replace(" ", "  ") + "\n\n")
        lines.append(s.replace(" ", "\t"))
        lines.append(rng.choice(SPECIALS) + s + rng.choice(SPECIALS))
        lines.append(s + " " + rng.choice(sentences))
        lines.append(unicodedata.normalize("NFD", s))
        lines.append(s.replace(" ", "\u00A0", 2) + " 12345 " + s[:10] + "'s")
    # Chat-shaped prompts.
    for s in sentences[:40]:
        lines.append("<|im_start|>system\nYou are a guard.<|im_end|>\n<|im_start|>user\n" + s +
                     "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nSafety: ")
    # Random script text per block.
    for name, lo, hi in BLOCKS:
        for k in range(8):
            lines.append(random_script_text(lo, hi, rng.randint(1, 12)))
    # Random combining-mark soups on random bases (normalization reordering).
    marks = [cp for cp in range(0x300, 0x370)] + [0x1AB0, 0x1AC1, 0x1DC0, 0x1DF6, 0x1DFA, 0x20D0,
                                                   0x0898, 0x0F71, 0x0F72, 0x0F74, 0x05B0, 0x0651]
    for k in range(150):
        base = chr(rng.choice([0x61, 0x45, 0x6F, 0x3B1, 0x438, 0x5D0, 0x627, 0x915, 0x1100, 0x20]))
        lines.append(base + "".join(chr(rng.choice(marks)) for _ in range(rng.randint(1, 6))) +
                     rng.choice(["", " ", "x", "\u0301", "1"]))
    # Random everything.
    for k in range(400):
        lines.append(random_any(rng.randint(1, 40)))
    # Random mixes of specials, whitespace and words.
    atoms = SPECIALS + [" ", "\n", "  ", "\t", "hello", "world", "'s", "123", "日本", "مرحبا", "\r\n"]
    for k in range(200):
        lines.append("".join(rng.choice(atoms) for _ in range(rng.randint(1, 10))))
    # Short random strings from the characters the split regex and added-token matching treat
    # specially: every alternative's boundaries, in many combinations.
    tricky = ["'", "s", "S", "t", "\u017F", "l", "L", "e", "r", "v", "m", "d", " ", "  ", "\t", "\n",
              "\r", "\r\n", "\u00A0", "\u3000", "\u2028", "\u0085", "\u000B", "1", "\u0663", "a",
              "\u00E9", "e\u0301", "\u0301", "\u0316", "!", "?", ".", "-", "<|im_end|>", "<think>",
              "<|im_", "\u65E5", "\U0001F600", "\u200D", "\uFE0F", "_", "/", "\u0915\u094D"]
    for k in range(2000):
        lines.append("".join(rng.choice(tricky) for _ in range(rng.randint(1, 12))))
    seen = set()
    unique = []
    for s in lines:
        if s not in seen:
            seen.add(s)
            unique.append(s)
    with open(OUT, "w", encoding="utf-8") as f:
        for s in unique:
            f.write(json.dumps(s, ensure_ascii=False) + "\n")
    print(f"{OUT}: {len(unique)} strings")

if __name__ == "__main__":
    main()
