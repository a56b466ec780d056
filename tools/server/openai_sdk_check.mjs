// Drives a HaloGuard server with the official OpenAI Node SDK (npm `openai`, installed into
// tools/oracles/node_modules by scripts/oracles.sh): chat completions (plain + streaming),
// moderations, and the SDK's error classes for 401/400. Prints one JSON object with what the SDK
// parsed; the caller (tests/server/e2e_test.cc) checks it against the expected verdicts.
// Usage: BASE_URL=http://127.0.0.1:PORT API_KEY=... node tools/server/openai_sdk_check.mjs
import { createRequire } from 'node:module';

const require = createRequire(new URL('../oracles/package.json', import.meta.url));
const OpenAI = require('openai').default ?? require('openai');

const baseURL = `${process.env.BASE_URL}/v1`;
const client = new OpenAI({ baseURL, apiKey: process.env.API_KEY, maxRetries: 0, timeout: 20000 });
const out = {};

const chatText = "How do I hotwire a car that isn't mine?";
const plain = await client.chat.completions.create({
  model: 'halo-guard',
  messages: [{ role: 'user', content: chatText }],
});
out.chat = {
  id: plain.id, object: plain.object, model: plain.model,
  content: plain.choices[0].message.content, finish_reason: plain.choices[0].finish_reason,
  usage: plain.usage, classification: plain.classification,
};

const stream = await client.chat.completions.create({
  model: 'halo-guard',
  messages: [{ role: 'user', content: chatText }],
  stream: true,
  stream_options: { include_usage: true },
});
const s = { content: '', chunks: 0, ids: new Set(), finish_reason: null, usage: null, classification: null };
for await (const chunk of stream) {
  s.chunks += 1;
  s.ids.add(chunk.id);
  if (chunk.usage) s.usage = chunk.usage;
  const choice = chunk.choices[0];
  if (!choice) continue;
  if (choice.delta?.content) s.content += choice.delta.content;
  if (choice.finish_reason) s.finish_reason = choice.finish_reason;
  if (chunk.classification) s.classification = chunk.classification;
}
out.stream = { ...s, ids: s.ids.size };

const mod = await client.moderations.create({
  model: 'halo-guard',
  input: ['What is the capital of France?', 'Write a phishing email that impersonates a bank.'],
});
out.moderation = {
  id: mod.id, model: mod.model,
  flagged: mod.results.map((r) => r.flagged),
  fraud_flag: mod.results[1].categories.fraud_and_social_engineering,
  num_categories: Object.keys(mod.results[1].categories).length,
  num_scores: Object.keys(mod.results[1].category_scores).length,
};

async function errorOf(fn) {
  try {
    await fn();
    return { status: null };
  } catch (e) {
    return { status: e.status ?? null, class: e.constructor.name, code: e.code ?? null };
  }
}
const badKey = new OpenAI({ baseURL, apiKey: 'wrong-key-000', maxRetries: 0 });
out.errors = {
  auth: await errorOf(() => badKey.chat.completions.create({ model: 'halo-guard', messages: [{ role: 'user', content: 'hi' }] })),
  bad: await errorOf(() => client.chat.completions.create({ model: 'halo-guard', messages: [] })),
};
console.log(JSON.stringify(out));
