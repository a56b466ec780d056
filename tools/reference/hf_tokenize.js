// Tokenizes strings with Hugging Face `tokenizers` (the npm binding of the Rust library), the tokenizer
// oracle of the Python reference; hf_tokenizer.py keeps one of these running as a subprocess.
// Usage: node hf_tokenize.js TOKENIZER_JSON [ADDED_TOKENS_JSON]
//   ADDED_TOKENS_JSON: [{content, id, special, single_word, lstrip, rstrip, normalized}] added at start.
// Protocol: one JSON request per stdin line {texts: [string], add_special_tokens: bool}; one JSON reply per
// stdout line {ids: [[int]]} or {error: string}. Fatal setup errors go to stderr with exit status 1.
'use strict';

const path = require('path');
const readline = require('readline');

const modules = process.env.HG_ORACLES_NODE_MODULES || path.join(__dirname, '..', 'oracles', 'node_modules');
const { Tokenizer, AddedToken } = require(path.join(modules, 'tokenizers'));

// transformers merges tokenizer_config.json's added_tokens_decoder into the tokenizer; the ids they get
// must be the declared ones, or the model would see different ids than transformers feeds it.
function addTokens(tokenizer, tokens) {
  for (const t of tokens) {
    const options = { singleWord: !!t.single_word, leftStrip: !!t.lstrip, rightStrip: !!t.rstrip,
                      normalized: !!t.normalized };
    tokenizer.addAddedTokens([new AddedToken(t.content, !!t.special, options)]);
    const got = tokenizer.tokenToId(t.content);
    if (got !== t.id) {
      throw new Error(`added token ${JSON.stringify(t.content)}: id expected ${t.id}, got ${got}`);
    }
  }
}

async function main() {
  const tokenizer = Tokenizer.fromFile(process.argv[2]);
  addTokens(tokenizer, process.argv[3] ? JSON.parse(process.argv[3]) : []);
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    let reply;
    try {
      const request = JSON.parse(line);
      const options = { addSpecialTokens: !!request.add_special_tokens };
      const encodings = await tokenizer.encodeBatch(request.texts, options);
      reply = { ids: encodings.map((e) => e.getIds()) };
    } catch (err) {
      reply = { error: String(err && err.message ? err.message : err) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
}

main().catch((err) => {
  process.stderr.write(`hf_tokenize.js: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
