// Measures the HF tokenizers oracle's single-thread encode throughput (MB/s) on a JSONL corpus,
// to set beside build/src/tokenizer/tokenizer_bench on the same corpus.
// Usage: RAYON_NUM_THREADS=1 node tools/tokenizer/bench_hf.js TOKENIZER_JSON CONFIG_JSON|"" CORPUS.jsonl [MIN_SECONDS]
// Reports encodeBatch (one native call per pass; RAYON_NUM_THREADS=1 keeps it on one thread) and
// per-string encode (includes the binding's per-call overhead). Load time is tokenizer.json parse.
'use strict';
const fs = require('fs');
const oracle = require('./oracle');

function readCorpus(file) {
  const out = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const j = JSON.parse(line);
    if (typeof j === 'string') out.push(j);
    else if (j && typeof j.text === 'string') out.push(j.text);
    else if (j && typeof j.prompt === 'string') out.push(j.prompt);
  }
  return out;
}

async function timeIt(minSeconds, pass) {
  await pass();  // warm-up
  let passes = 0;
  const t0 = process.hrtime.bigint();
  let secs = 0;
  do {
    await pass();
    ++passes;
    secs = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (secs < minSeconds);
  return {passes, secs};
}

async function main() {
  const [jsonPath, configPath, corpusPath, minArg] = process.argv.slice(2);
  if (process.env.RAYON_NUM_THREADS !== '1') console.error('warning: set RAYON_NUM_THREADS=1 for a single-thread number');
  const tokenizers = oracle.requireOracle();
  const t0 = process.hrtime.bigint();
  const tok = oracle.load(tokenizers, {json: jsonPath, config: configPath || null});
  const loadS = Number(process.hrtime.bigint() - t0) / 1e9;
  const corpus = readCorpus(corpusPath);
  const bytes = corpus.reduce((n, s) => n + Buffer.byteLength(s, 'utf8'), 0);
  const minSeconds = Number(minArg || 3);
  const opts = {addSpecialTokens: false};
  const batch = await timeIt(minSeconds, () => tok.encodeBatch(corpus, opts));
  const single = await timeIt(minSeconds, async () => { for (const s of corpus) await tok.encode(s, null, opts); });
  const mbs = (r) => (bytes * r.passes / 1e6 / r.secs).toFixed(1);
  console.log(`hf tokenizers: load ${loadS.toFixed(3)} s; ${corpus.length} strings, encodeBatch ${mbs(batch)} MB/s, encode ${mbs(single)} MB/s`);
}

main().catch((e) => { console.error(e); process.exit(1); });
