// Builds tests/data/tiny_tokenizer/{tokenizer.json,tokenizer_config.json}: a byte-level BPE with
// exactly the Qwen3.5 pipeline (NFC, the Qwen3.5 Split regex, ByteLevel), the 256 byte tokens
// (ids 0..255, Qwen order), NUM_MERGES merges learned here from tiny_training_text.txt, and the 33
// Qwen3.5 added tokens renumbered right after the merges (22 in tokenizer.json, the other 11 only
// in tokenizer_config.json, as in the real files). Deterministic. Pieces come from the HF oracle's
// own pre-tokenizer, so training sees exactly what encoding will.
// Run: node tools/tokenizer/make_tiny_tokenizer.js (needs scripts/oracles.sh).
'use strict';
const fs = require('fs');
const path = require('path');
const oracle = require('./oracle');

const NUM_MERGES = 500;
const NUM_IN_TOKENIZER_JSON = 22;  // the rest of the 33 live only in tokenizer_config.json
const OUT = path.join(oracle.DATA, 'tiny_tokenizer');

// Classic BPE training: repeatedly merge the most frequent adjacent pair (ties: smallest pair).
function train(words, numMerges) {
  const entries = [...words.entries()].map(([w, count]) => ({syms: [...w], count}));
  const merges = [];
  for (let m = 0; m < numMerges; ++m) {
    const counts = new Map();
    for (const {syms, count} of entries) {
      for (let i = 0; i + 1 < syms.length; ++i) {
        const key = syms[i] + ' ' + syms[i + 1];
        counts.set(key, (counts.get(key) || 0) + count);
      }
    }
    let best = null;
    for (const [key, c] of counts) {
      if (!best || c > best[1] || (c === best[1] && key < best[0])) best = [key, c];
    }
    if (!best) break;
    const [a, b] = best[0].split(' ');
    merges.push([a, b]);
    for (const e of entries) {
      const out = [];
      for (let i = 0; i < e.syms.length; ++i) {
        if (i + 1 < e.syms.length && e.syms[i] === a && e.syms[i + 1] === b) { out.push(a + b); ++i; }
        else out.push(e.syms[i]);
      }
      e.syms = out;
    }
  }
  return merges;
}

function main() {
  const tokenizers = oracle.requireOracle();
  const skeletonPath = path.join(oracle.DATA, 'tokenizer', 'qwen35_skeleton.tokenizer.json');
  const skeleton = JSON.parse(fs.readFileSync(skeletonPath, 'utf8'));
  const pre = tokenizers.Tokenizer.fromFile(skeletonPath);
  const text = fs.readFileSync(path.join(__dirname, 'tiny_training_text.txt'), 'utf8').normalize('NFC');
  const words = new Map();
  for (const [piece] of pre.getPreTokenizer().preTokenizeString(text)) words.set(piece, (words.get(piece) || 0) + 1);

  const vocab = {};
  for (const [tok, id] of Object.entries(skeleton.model.vocab)) if (id < 256) vocab[tok] = id;
  const merges = train(words, NUM_MERGES);
  let next = 256;
  for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = next++;

  const added = [...skeleton.added_tokens].sort((x, y) => x.id - y.id).map((t, i) => ({...t, id: next + i}));
  if (added.length !== 33) throw new Error(`expected 33 added tokens, got ${added.length}`);
  const tokenizerJson = {...skeleton, added_tokens: added.slice(0, NUM_IN_TOKENIZER_JSON),
                         model: {...skeleton.model, vocab, merges}};
  const decoder = {};
  for (const t of added) {
    decoder[String(t.id)] = {content: t.content, lstrip: false, normalized: false, rstrip: false,
                             single_word: false, special: t.special};
  }
  const config = {
    add_bos_token: false, add_prefix_space: false, added_tokens_decoder: decoder,
    bos_token: null, clean_up_tokenization_spaces: false, eos_token: '<|im_end|>', errors: 'replace',
    model_max_length: 262144, pad_token: '<|endoftext|>', split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer', unk_token: null,
  };
  fs.mkdirSync(OUT, {recursive: true});
  fs.writeFileSync(path.join(OUT, 'tokenizer.json'), JSON.stringify(tokenizerJson, null, 1) + '\n');
  fs.writeFileSync(path.join(OUT, 'tokenizer_config.json'), JSON.stringify(config, null, 2) + '\n');
  const tok = oracle.load(tokenizers, {json: path.join(OUT, 'tokenizer.json'), config: path.join(OUT, 'tokenizer_config.json')});
  console.log(`${OUT}: ${merges.length} merges, vocab ${tok.getVocabSize(true)} ids (${next} BPE + 33 added)`);
}

main();
