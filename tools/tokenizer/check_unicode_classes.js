// Checks src/tokenizer/unicode_tables.inc against the HF tokenizers oracle on all non-ASCII code
// points of the planes in use (a sample elsewhere): the class the oracle's Split regex gives each one (letter, mark, number, white space,
// other) must be the class our tables give it. Probes, one per code point and regex:
//   Qwen3.5 regex on "a"+c+c+"b": ["accb"] letter or mark, ["a","c","c","b"] number,
//   ["a","c","cb"] white space, ["a","cc","b"] other; then, for letters and marks only, the
//   Qwen2/3 regex on "a"+c+"b": ["acb"] letter, else mark.
// Run: node tools/tokenizer/check_unicode_classes.js (exit 77 when the oracle is missing).
'use strict';
const fs = require('fs');
const path = require('path');
const oracle = require('./oracle');

const kBatch = 4096;

function ourClasses() {
  const text = fs.readFileSync(path.join(oracle.ROOT, 'src', 'tokenizer', 'unicode_tables.inc'), 'utf8');
  const table = new Uint8Array(0x110000);
  const bits = {kLetterRanges: 1, kMarkRanges: 2, kNumberRanges: 4, kWhiteSpaceRanges: 8};
  for (const [name, bit] of Object.entries(bits)) {
    const body = text.slice(text.indexOf(name + '[]'), text.indexOf('};', text.indexOf(name + '[]')));
    for (const m of body.matchAll(/\{0x([0-9A-F]+), 0x([0-9A-F]+)\}/g)) {
      for (let cp = parseInt(m[1], 16); cp <= parseInt(m[2], 16); ++cp) table[cp] |= bit;
    }
  }
  const name = (b) => (b & 1 ? 'letter' : b & 2 ? 'mark' : b & 4 ? 'number' : b & 8 ? 'space' : 'other');
  return (cp) => name(table[cp]);
}

// Pieces of `probes` joined by "\n" (a piece of its own after each probe's final "b"), regrouped.
function groups(pre, probes) {
  const out = [[]];
  for (const [piece] of pre.preTokenizeString(probes.join('\n') + '\n')) {
    if (piece === '\u010A') out.push([]);
    else out[out.length - 1].push(piece);
  }
  return out.slice(0, probes.length);
}

function main() {
  const tokenizers = oracle.requireOracle();
  const cfg = oracle.configs();
  const q35 = tokenizers.Tokenizer.fromFile(cfg.qwen35_skeleton.json).getPreTokenizer();
  const q2 = tokenizers.Tokenizer.fromFile(cfg.qwen3.json).getPreTokenizer();
  const ours = ourClasses();
  const cps = [];
  // Every code point of planes 0-3 and 14 (where anything is assigned); planes 4-13 (unassigned)
  // and 15-16 (private use) sampled every 97th, to keep the run to seconds.
  for (let cp = 0x80; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    const dense = cp < 0x40000 || (cp >= 0xE0000 && cp < 0xF0000);
    if (dense || cp % 97 === 0) cps.push(cp);
  }
  const counts = {};
  let bad = 0;
  for (let i = 0; i < cps.length; i += kBatch) {
    const batch = cps.slice(i, i + kBatch);
    const chars = batch.map((cp) => String.fromCodePoint(cp));
    const g35 = groups(q35, chars.map((c) => 'a' + c + c + 'b'));
    const joined = chars.filter((c, k) => g35[k].length === 1);  // letter or mark: ask Qwen2/3
    const g2 = new Map(groups(q2, joined.map((c) => 'a' + c + 'b')).map((g, k) => [joined[k], g]));
    batch.forEach((cp, k) => {
      const p = g35[k];
      let got = p.length === 1 ? (g2.get(chars[k]).length === 1 ? 'letter' : 'mark')
              : p.length === 4 ? 'number'
              : p.length === 3 && p[2].length > p[1].length ? 'space'
              : p.length === 3 ? 'other' : `unexpected ${JSON.stringify(p)}`;
      counts[got] = (counts[got] || 0) + 1;
      if (got !== ours(cp) && ++bad <= 20) console.log(`U+${cp.toString(16).toUpperCase()}: oracle ${got}, ours ${ours(cp)}`);
    });
  }
  console.log(`${cps.length} code points: ${JSON.stringify(counts)}; ${bad} differ from unicode_tables.inc`);
  process.exit(bad ? 1 : 0);
}

main();
