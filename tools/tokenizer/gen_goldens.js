// Writes (default) or checks (--check) the tokenizer goldens in tests/data/tokenizer/goldens/ with
// the HF tokenizers oracle: encode(text, add_special_tokens=false) ids (and, for qwen3, offsets in
// bytes) for every corpus string, decode(ids, skip_special_tokens) for seeded random id lists, and
// the NFC normalizer's output on probes of every character normalization can touch.
// Run: node tools/tokenizer/gen_goldens.js [--check]. Exit 77 when the oracle is not installed.
'use strict';
const fs = require('fs');
const path = require('path');
const oracle = require('./oracle');

const GOLDENS = path.join(oracle.DATA, 'tokenizer', 'goldens');

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function encodeLines(tok, corpus, withOffsets) {
  const lines = [];
  for (const s of corpus) {
    const e = await tok.encode(s, null, {addSpecialTokens: false});
    const row = {ids: e.getIds()};
    if (withOffsets) {
      const map = oracle.charToByteOffsets(s);
      row.offsets = e.getOffsets().map(([b, end]) => [map[b], map[end]]);
    }
    lines.push(JSON.stringify(row));
  }
  return lines;
}

// Random id lists: byte tokens (often splitting UTF-8), added tokens, any id, ids past the end.
async function decodeLines(tok, name) {
  const rand = mulberry32(name.length * 7919 + 17);
  const size = tok.getVocabSize(true);
  const byteIds = [...Array(256).keys()].map((b) => b);
  const added = Object.values(tok.getVocab(true)).filter((id) => id >= tok.getVocabSize(false)).sort((a, b) => a - b);
  const lines = [];
  for (let n = 0; n < 300; ++n) {
    const ids = [];
    const len = 1 + Math.floor(rand() * 12);
    for (let k = 0; k < len; ++k) {
      const r = rand();
      if (r < 0.35) ids.push(byteIds[Math.floor(rand() * 256)]);
      else if (r < 0.5 && added.length) ids.push(added[Math.floor(rand() * added.length)]);
      else if (r < 0.95) ids.push(Math.floor(rand() * size));
      else ids.push(size + Math.floor(rand() * 1000));
    }
    lines.push(JSON.stringify({ids, text: await tok.decode(ids, false), text_skip: await tok.decode(ids, true)}));
  }
  return lines;
}

// NFC probes for every character that normalization can touch (per node's own Unicode data, only
// used to choose them): the character, its NFD (does it recompose?), and orderings against
// U+0334 (ccc 1) and U+0345 (ccc 240) (is its combining class known?). Hangul syllables sampled.
function nfcLines(tokenizers) {
  const skeleton = oracle.configs().qwen35_skeleton.json;
  const normalizer = tokenizers.Tokenizer.fromFile(skeleton).getNormalizer();
  const probes = new Set();
  for (let cp = 0x80; cp < 0x110000; ++cp) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0xAC00 && cp <= 0xD7A3 && cp % 37 !== 0)) continue;
    const c = String.fromCodePoint(cp);
    const nfd = c.normalize('NFD');
    if (nfd === c && !/\p{M}/u.test(c)) continue;
    for (const p of [c, nfd, 'a' + c + '\u0334', 'a\u0345' + c]) probes.add(p);
  }
  return [...probes].map((p) => JSON.stringify({in: p, nfc: normalizer.normalizeString(p)}));
}

async function main() {
  const tokenizers = oracle.requireOracle();
  const check = process.argv.includes('--check');
  const corpus = oracle.readCorpus(path.join(oracle.DATA, 'tokenizer', 'corpus.jsonl'));
  const outputs = {};
  for (const [name, cfg] of Object.entries(oracle.configs())) {
    if (!fs.existsSync(cfg.json)) throw new Error(`${name}: missing ${cfg.json}`);
    const tok = oracle.load(tokenizers, cfg);
    outputs[`encode_${name}.jsonl`] = await encodeLines(tok, corpus, name === 'qwen3');
    if (!name.startsWith('qwen3_') && !name.startsWith('tiny_')) outputs[`decode_${name}.jsonl`] = await decodeLines(tok, name);
  }
  outputs['nfc_probes.jsonl'] = nfcLines(tokenizers);
  let bad = 0;
  fs.mkdirSync(GOLDENS, {recursive: true});
  for (const [file, lines] of Object.entries(outputs)) {
    const text = lines.join('\n') + '\n';
    const target = path.join(GOLDENS, file);
    if (!check) {
      fs.writeFileSync(target, text);
      console.log(`${target}: ${lines.length} lines`);
      continue;
    }
    const old = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (old !== text) {
      const o = old.split('\n');
      const i = lines.findIndex((l, k) => l !== o[k]);
      console.log(`MISMATCH ${file} line ${i + 1}:\n  committed: ${(o[i] || '').slice(0, 300)}\n  oracle:    ${(lines[i] || '').slice(0, 300)}`);
      ++bad;
    }
  }
  if (check) console.log(bad ? `${bad} golden files differ from the oracle` : `goldens match the oracle (${Object.keys(outputs).length} files, ${corpus.length} corpus strings)`);
  process.exit(bad ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
