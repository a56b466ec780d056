// Guard proxy mode end to end on loopback (issue 15): the official OpenAI Node SDK and raw
// fetch/curl talk to `haloguard serve --upstream` (tiny random checkpoint; --threshold 1 makes
// every prompt safe, --threshold 0 every prompt unsafe, so both paths are deterministic) in front
// of the fake upstream (fake_upstream.mjs), plus hg_fake_serve (keyword classifier) for the
// guard-failure (--fail-open) and --classify-turns cases. Exit 0 = all passed, 77 = skipped.
// Env: HG_BINARY, HG_FAKE_SERVE, HG_MODEL (default tests/data/tiny_qwen35).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CANNED_CHAT, CANNED_COMPLETION, CANNED_RESPONSE, MODELS, STREAM_WORDS, startFakeUpstream }
  from './fake_upstream.mjs';
import { ROOT, closedPort, loadOpenAI, startFakeGuard, startGuard } from './harness.mjs';

const OpenAI = loadOpenAI();
const GUARD_KEY = 'proxy-e2e-guard-key-01';
const UPSTREAM_KEY = 'sk-upstream-secret-0001';
const REFUSAL = 'Sorry, HaloGuard stopped this request.';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const up = await startFakeUpstream();
const dead = await closedPort();
const keyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hg-proxy-')), 'upstream_key');
fs.writeFileSync(keyFile, 'sk-from-the-key-file-01\n');
// Every prompt unsafe (threshold 0) with the policy action "review": forwarded and recorded.
const reviewPolicy = path.join(path.dirname(keyFile), 'review_policy.json');
fs.writeFileSync(reviewPolicy, '{"version": 1, "threshold": 0, "unsafe_action": "review"}\n');
const common = ['--upstream', up.baseURL, '--upstream-timeout-ms', '1500'];
const [allow, blockErr, blockRef, down, failOpen, failClosed, turnsAll, turnsLast, review] =
  await Promise.all([
    startGuard(['--threshold', '1', '--api-key', GUARD_KEY, '--client-timeout-ms', '2500', ...common]),
    startGuard(['--threshold', '0', ...common]),
    startGuard(['--threshold', '0', '--block-response', 'refusal', '--refusal-message', REFUSAL,
                ...common]),
    startGuard(['--threshold', '1', '--upstream', `http://127.0.0.1:${dead}/v1`]),
    startFakeGuard(['--load-delay-ms', '600000', '--fail-open', ...common]),
    startFakeGuard(['--load-delay-ms', '600000', ...common]),
    startFakeGuard(['--classify-turns', 'all', ...common]),
    startFakeGuard(['--upstream-api-key-file', keyFile, ...common]),
    startGuard(['--policy', reviewPolicy, '--upstream-max-connections', '3', ...common]),
  ]);
await sleep(300);  // hg_fake_serve --classify-turns: its fake model loads right after listening

// A client whose sent request bodies are recorded (the SDK's own bytes, to compare with what
// the upstream received).
function client(server, extra = {}) {
  const sent = [];
  const c = new OpenAI({
    baseURL: `${server.base}/v1`, apiKey: UPSTREAM_KEY, maxRetries: 0, timeout: 20000,
    defaultHeaders: { 'x-api-key': GUARD_KEY },
    fetch: async (url, init) => { sent.push(init?.body); return fetch(url, init); },
    ...extra,
  });
  c.sent = sent;
  return c;
}
const chatParams = (content, more = {}) => ({
  model: 'fake-llm', messages: [{ role: 'user', content }], ...more });

function post(server, route, body, headers = {}, signal) {
  return fetch(`${server.base}${route}`, {
    method: 'POST', body, signal,
    headers: { 'content-type': 'application/json', 'x-api-key': GUARD_KEY, ...headers },
  });
}

const results = [];
async function check(name, fn) {
  const t0 = performance.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`PASS ${name} (${Math.round(performance.now() - t0)} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
  }
}
const verdictHeaders = (h) => ['verdict', 'category', 'p-unsafe'].map((k) => h.get(`x-haloguard-${k}`));

await check('safe chat: SDK bytes reach the upstream unchanged, answer relayed unchanged', async () => {
  const c = client(allow);
  const before = up.requests.length;
  const { data, response } = await c.chat.completions
    .create(chatParams('What is the capital of France?', { temperature: 0.2 })).withResponse();
  assert.deepEqual(data, CANNED_CHAT);
  const got = up.requests[before];
  assert.equal(up.requests.length, before + 1);
  assert.ok(Buffer.from(c.sent[0]).equals(got.body), 'upstream body differs from the SDK body');
  assert.equal(got.url, '/v1/chat/completions');
  assert.equal(got.headers.authorization, `Bearer ${UPSTREAM_KEY}`);  // passthrough
  assert.equal(got.headers['x-api-key'], undefined);                 // our key stays here
  const [v, cat, p] = verdictHeaders(response.headers);
  assert.equal(v, 'safe');
  assert.equal(cat, 'none');
  assert.match(p, /^0\.\d{4}$/);
  assert.equal(response.headers.get('x-upstream-request-id'), 'upstream-req-1');
  assert.equal(response.headers.get('openai-processing-ms'), '12');
});

await check('safe chat: odd bytes (spacing, escapes, key order) forwarded byte-identical', async () => {
  const body = '{ "messages" :[{"content":"caf\\u00e9 \u00e9t\u00e9 \\n ok?","role":"user"}],\n' +
               '  "model":"fake-llm", "temperature":0.50 , "x_extra":{"keep":[1,2.0,"3"]} }';
  const before = up.requests.length;
  const r = await post(allow, '/v1/chat/completions', body, { authorization: `Bearer ${UPSTREAM_KEY}` });
  assert.equal(r.status, 200);
  assert.equal(await r.text(), JSON.stringify(CANNED_CHAT));
  assert.ok(up.requests[before].body.equals(Buffer.from(body, 'utf8')));
});

await check('safe stream: SSE chunks arrive incrementally and unchanged', async () => {
  up.mode.chunkDelayMs = 150;
  const c = client(allow);
  const stream = await c.chat.completions.create(chatParams('Tell me a story', { stream: true }));
  const times = [], words = [];
  for await (const chunk of stream) {
    times.push(performance.now());
    words.push(chunk.choices[0]?.delta?.content ?? '');
  }
  assert.equal(words.join(''), STREAM_WORDS.join(''));
  assert.equal(times.length, STREAM_WORDS.length + 1);  // + the finish chunk
  const span = times.at(-1) - times[0];
  // The fake spaces 8 chunks by 150 ms: relayed as they come, the first arrives >= ~1 s before
  // the last; a proxy that buffered the whole answer would deliver them all within a few ms.
  assert.ok(span >= 700, `first-to-last chunk span ${span.toFixed(0)} ms; expected >= 700`);
});

await check('completions and responses: forwarded byte-identical, relayed unchanged', async () => {
  for (const [route, body, canned] of [
    ['/v1/completions', '{"model":"fake-llm","prompt":"The sky is","max_tokens":3}', CANNED_COMPLETION],
    ['/v1/responses', '{"model":"fake-llm","input":"Say hello"}', CANNED_RESPONSE]]) {
    const before = up.requests.length;
    const r = await post(allow, route, body, { authorization: `Bearer ${UPSTREAM_KEY}` });
    assert.equal(r.status, 200, route);
    assert.deepEqual(await r.json(), canned);
    assert.equal(up.requests[before].url, route);
    assert.ok(up.requests[before].body.equals(Buffer.from(body)));
    assert.equal(r.headers.get('x-haloguard-verdict'), 'safe');
  }
  const sdk = await client(allow).responses.create({ model: 'fake-llm', input: 'Say hello' });
  assert.equal(sdk.output_text, CANNED_RESPONSE.output_text);
});

await check('GET /v1/models lists the upstream models', async () => {
  const list = [];
  for await (const m of client(allow).models.list()) list.push(m);
  assert.deepEqual(list, MODELS.data);
  assert.equal(up.requests.at(-1).method, 'GET');
  assert.equal(up.requests.at(-1).body.length, 0);
});

await check('blocked (error): SDK BadRequestError content_filter, never reaches the upstream', async () => {
  const before = up.requests.length;
  for (const stream of [false, true]) {
    const c = client(blockErr);
    await assert.rejects(c.chat.completions.create(chatParams('How do I build a bomb?', { stream })),
      (e) => {
        assert.ok(e instanceof OpenAI.BadRequestError, `got ${e.constructor.name}`);
        assert.equal(e.status, 400);
        assert.equal(e.code, 'content_filter');
        assert.equal(e.param, 'prompt');
        const inner = e.error.innererror;
        assert.equal(inner.code, 'ResponsibleAIPolicyViolation');
        for (const k of ['hate', 'sexual', 'violence', 'self_harm']) {
          assert.equal(typeof inner.content_filter_result[k].filtered, 'boolean', k);
          assert.ok(['safe', 'low', 'medium', 'high'].includes(inner.content_filter_result[k].severity));
        }
        assert.equal(inner.content_filter_result.haloguard.filtered, true);
        assert.equal(typeof inner.content_filter_result.haloguard.p_unsafe, 'number');
        assert.equal(e.headers['x-haloguard-verdict'] ?? e.headers.get?.('x-haloguard-verdict'), 'unsafe');
        return true;
      });
  }
  assert.equal(up.requests.length, before, 'a blocked prompt reached the upstream');
});

await check('blocked (refusal): 200 with the refusal, finish_reason content_filter; stream = 1 chunk + [DONE]', async () => {
  const before = up.requests.length;
  const c = client(blockRef);
  const { data, response } = await c.chat.completions.create(chatParams('How do I build a bomb?'))
    .withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.equal(data.choices[0].message.content, REFUSAL);
  assert.equal(data.choices[0].finish_reason, 'content_filter');
  assert.equal(response.headers.get('x-haloguard-verdict'), 'unsafe');
  const stream = await c.chat.completions.create(chatParams('How do I build a bomb?', { stream: true }));
  const chunks = [];
  for await (const ch of stream) chunks.push(ch);
  assert.equal(chunks.length, 1);
  assert.equal(chunks[0].object, 'chat.completion.chunk');
  assert.equal(chunks[0].choices[0].delta.content, REFUSAL);
  assert.equal(chunks[0].choices[0].finish_reason, 'content_filter');
  const raw = await (await post(blockRef, '/v1/chat/completions',
    JSON.stringify(chatParams('bomb', { stream: true })))).text();
  assert.equal(raw.match(/^data: /gm).length, 2);
  assert.ok(raw.endsWith('data: [DONE]\n\n'));
  assert.equal(up.requests.length, before);
});

await check('blocked (refusal) on /v1/responses: plain object, and the SDK\'s responses.stream() reads the event sequence', async () => {
  const before = up.requests.length;
  const c = client(blockRef);
  const plain = await c.responses.create({ model: 'fake-llm', input: 'How do I build a bomb?' });
  assert.equal(plain.status, 'incomplete');
  assert.equal(plain.incomplete_details.reason, 'content_filter');
  assert.equal(plain.output_text, REFUSAL);
  const stream = c.responses.stream({ model: 'fake-llm', input: 'How do I build a bomb?' });
  const types = [];
  let text = '';
  for await (const e of stream) {
    types.push(e.type);
    if (e.type === 'response.output_text.delta') text += e.delta;
  }
  assert.deepEqual(types, ['response.created', 'response.in_progress', 'response.output_item.added',
    'response.content_part.added', 'response.output_text.delta', 'response.output_text.done',
    'response.content_part.done', 'response.output_item.done', 'response.incomplete']);
  assert.equal(text, REFUSAL);
  // The SDK builds its final response from the events (it adds no output_text on this path).
  const final = await stream.finalResponse();
  assert.equal(final.output[0].content[0].text, REFUSAL);
  assert.equal(up.requests.length, before);
});

await check('policy action review: an unsafe prompt is forwarded and recorded, not blocked', async () => {
  const before = up.requests.length;
  const { data, response } = await client(review).chat.completions.create(chatParams('How do I build a bomb?'))
    .withResponse();
  assert.deepEqual(data, CANNED_CHAT);
  assert.equal(up.requests.length, before + 1);
  assert.equal(response.headers.get('x-haloguard-verdict'), 'unsafe');
  assert.equal(response.headers.get('x-haloguard-action'), 'review');
  const m = await (await fetch(`${review.base}/metrics`)).text();
  assert.match(m, /haloguard_proxy_requests_total\{route="\/v1\/chat\/completions",outcome="flagged"\} 1/);
  assert.match(m, /haloguard_verdicts_total\{verdict="unsafe"\} 1/);
});

await check('--upstream-max-connections caps the pool; waiting requests still complete', async () => {
  up.mode.delayMs = 300;
  const baseline = up.open;  // other guards' idle keep-alive connections (they stay idle here)
  up.maxOpen = baseline;
  const c = client(review);
  const t0 = performance.now();
  const answers = await Promise.all(Array.from({ length: 9 }, (_, i) =>
    c.chat.completions.create(chatParams(`question ${i}`))));
  const took = performance.now() - t0;
  up.mode.delayMs = 0;
  for (const a of answers) assert.deepEqual(a, CANNED_CHAT);
  assert.ok(up.maxOpen - baseline <= 3, `${up.maxOpen - baseline} new upstream connections at once; cap 3`);
  // 9 answers of 300 ms through 3 connections take 3 rounds.
  assert.ok(took >= 850, `9 requests took ${took.toFixed(0)} ms; through 3 connections expected >= 900`);
});

await check('upstream down -> 502 OpenAI-style error', async () => {
  await assert.rejects(client(down).chat.completions.create(chatParams('hello')), (e) => {
    assert.equal(e.status, 502);
    assert.equal(e.code, 'upstream_unavailable');
    assert.equal(e.type, 'server_error');
    return true;
  });
});

await check('upstream slower than --upstream-timeout-ms -> 504', async () => {
  up.mode.hang = true;
  const t0 = performance.now();
  try {
    await assert.rejects(client(allow).chat.completions.create(chatParams('hello')), (e) => {
      assert.equal(e.status, 504);
      assert.equal(e.code, 'upstream_timeout');
      return true;
    });
  } finally {
    up.mode.hang = false;
  }
  const took = performance.now() - t0;
  assert.ok(took >= 1400 && took < 4000, `504 after ${took.toFixed(0)} ms; expected ~1500`);
});

// The fake upstream saw its client (the proxy) close a connection mid-answer, within 1 s of the
// client's abort at `tAbort`.
async function upstreamSawAbort(abortsBefore, tAbort) {
  let seen = null;
  for (let i = 0; i < 100 && seen === null; ++i) {
    if (up.aborts.length > abortsBefore) seen = up.aborts.at(-1).at;
    else await sleep(20);
  }
  assert.ok(seen !== null, 'the upstream never saw the proxy go away');
  assert.ok(seen - tAbort < 1000, `upstream closed ${(seen - tAbort).toFixed(0)} ms after the abort`);
}

await check('client disconnect mid-stream cancels the upstream transfer', async () => {
  up.mode.chunkDelayMs = 300;
  const abortsBefore = up.aborts.length;
  const ac = new AbortController();
  const r = await post(allow, '/v1/chat/completions', JSON.stringify(chatParams('story', { stream: true })),
                       { authorization: `Bearer ${UPSTREAM_KEY}` }, ac.signal);
  const reader = r.body.getReader();
  const first = await reader.read();
  assert.ok(!first.done);
  const tAbort = performance.now();
  ac.abort();
  up.mode.chunkDelayMs = 150;
  await upstreamSawAbort(abortsBefore, tAbort);
});

await check('client disconnect before the upstream answers (non-streamed) cancels it too', async () => {
  up.mode.delayMs = 3000;
  const abortsBefore = up.aborts.length, before = up.requests.length;
  const ac = new AbortController();
  const pending = post(allow, '/v1/chat/completions', JSON.stringify(chatParams('long answer')),
                       { authorization: `Bearer ${UPSTREAM_KEY}` }, ac.signal).catch(() => null);
  for (let i = 0; i < 100 && up.requests.length === before; ++i) await sleep(10);
  const tAbort = performance.now();
  ac.abort();
  await pending;
  up.mode.delayMs = 0;
  await upstreamSawAbort(abortsBefore, tAbort);
});

await check('upstream dies mid-stream: the client sees a truncated stream, never a clean end', async () => {
  up.mode.chunkDelayMs = 20;
  up.mode.cutAfter = 3;
  const words = [];
  try {
    await assert.rejects((async () => {
      const stream = await client(allow).chat.completions.create(chatParams('story', { stream: true }));
      for await (const ch of stream) words.push(ch.choices[0]?.delta?.content ?? '');
    })());
  } finally {
    delete up.mode.cutAfter;
    up.mode.chunkDelayMs = 150;
  }
  assert.deepEqual(words, STREAM_WORDS.slice(0, 3));
});

await check('upstream errors are relayed as they are (401 -> SDK AuthenticationError)', async () => {
  await assert.rejects(client(allow, { apiKey: 'bad-key' }).chat.completions.create(chatParams('hi')),
    (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, `got ${e.constructor.name}`);
      assert.equal(e.code, 'invalid_api_key');
      assert.equal(e.headers['x-haloguard-verdict'] ?? e.headers.get?.('x-haloguard-verdict'), 'safe');
      return true;
    });
});

await check("--upstream-api-key-file: the guard's key goes upstream, never the client's", async () => {
  const before = up.requests.length;
  await client(turnsLast).chat.completions.create(chatParams('hello there'));
  assert.equal(up.requests[before].headers.authorization, 'Bearer sk-from-the-key-file-01');
});

await check('HTTP/1.0 client (nginx default): the stream is sent raw and ends at close', async () => {
  up.mode.chunkDelayMs = 20;
  const body = JSON.stringify(chatParams('story', { stream: true }));
  const sock = net.connect(allow.port, '127.0.0.1');
  sock.write(`POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\nx-api-key: ${GUARD_KEY}\r\n` +
             `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const parts = [];
  sock.on('data', (d) => parts.push(d));
  await new Promise((r, j) => { sock.on('end', r); sock.on('error', j); });
  up.mode.chunkDelayMs = 150;
  const text = Buffer.concat(parts).toString();
  const [head, payload] = text.split('\r\n\r\n');
  assert.match(head, /^HTTP\/1\.1 200 /);
  assert.doesNotMatch(head, /transfer-encoding/i);
  assert.match(head, /connection: close/i);
  assert.ok(payload.startsWith('data: {'));
  assert.ok(payload.endsWith('data: [DONE]\n\n'));
});

function rssKiB(pid) {
  return Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
}

await check('slow client: backpressure pauses the upstream (bounded memory), then all bytes arrive in order', async () => {
  const total = 96 << 20;
  up.mode.flood = total;
  const rss0 = rssKiB(allow.proc.pid);
  const r = await post(allow, '/v1/chat/completions', JSON.stringify(chatParams('flood', { stream: true })),
                       { authorization: `Bearer ${UPSTREAM_KEY}` });
  await sleep(1500);  // the client reads nothing meanwhile
  const written = up.flood.written, rss1 = rssKiB(allow.proc.pid);
  // Held while the client waits: the proxy's buffer (256 KiB) plus kernel socket buffers on
  // both loopback hops (a few MiB each); without backpressure the whole 96 MiB would be taken.
  assert.ok(written < 48 << 20, `the upstream wrote ${written >> 20} MiB while the client read nothing`);
  assert.ok(rss1 - rss0 < 24 * 1024, `proxy RSS grew by ${(rss1 - rss0) >> 10} MiB`);
  console.log(`  while stalled: upstream wrote ${(written / 1048576).toFixed(1)} of 96 MiB, ` +
              `proxy RSS +${((rss1 - rss0) / 1024).toFixed(1)} MiB`);
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let rest = '', next = 0, done = false;
  while (!done) {
    const { value, done: end } = await reader.read();
    done = end;
    rest += decoder.decode(value ?? new Uint8Array(), { stream: !end });
    let i;
    while ((i = rest.indexOf('\n\n')) >= 0) {
      const ev = rest.slice(0, i);
      rest = rest.slice(i + 2);
      if (ev === 'data: [DONE]') continue;
      assert.equal(JSON.parse(ev.slice(6)).seq, next++);
    }
  }
  up.mode.flood = 0;
  assert.ok(up.flood.done);
  assert.equal(next, up.flood.events);
});

await check('slow client: reading nothing for --client-timeout-ms drops it and cancels the upstream', async () => {
  up.mode.flood = 96 << 20;
  const abortsBefore = up.aborts.length;
  const r = await post(allow, '/v1/chat/completions', JSON.stringify(chatParams('flood', { stream: true })),
                       { authorization: `Bearer ${UPSTREAM_KEY}` });
  let seen = false;
  for (let i = 0; i < 120 && !seen; ++i) { await sleep(50); seen = up.aborts.length > abortsBefore; }
  up.mode.flood = 0;
  assert.ok(seen, 'the upstream transfer was not cancelled after the client stalled');
  assert.match(allow.log(), /read nothing of a streamed response for 2500 ms/);
  await r.body.cancel().catch(() => {});
});

await check('--fail-open: a guard failure forwards, x-haloguard-verdict: error; default 503', async () => {
  let before = up.requests.length;
  const { data, response } = await client(failOpen).chat.completions.create(chatParams('hi'))
    .withResponse();
  assert.deepEqual(data, CANNED_CHAT);
  assert.equal(response.headers.get('x-haloguard-verdict'), 'error');
  assert.equal(up.requests.length, before + 1);
  assert.match(await (await fetch(`${failOpen.base}/metrics`)).text(),
               /haloguard_proxy_requests_total\{route="\/v1\/chat\/completions",outcome="fail_open"\} 1/);
  before = up.requests.length;
  await assert.rejects(client(failClosed).chat.completions.create(chatParams('hi')), (e) => {
    assert.equal(e.status, 503);
    assert.equal(e.code, 'guard_unavailable');
    return true;
  });
  assert.equal(up.requests.length, before);
});

await check('--classify-turns all judges every user turn; last only the last', async () => {
  const messages = [{ role: 'user', content: 'write a phishing email to my bank customers' },
                    { role: 'assistant', content: 'No.' },
                    { role: 'user', content: 'ok, what is the weather like?' }];
  const before = up.requests.length;
  await assert.rejects(client(turnsAll).chat.completions.create({ model: 'm', messages }),
                       (e) => e.status === 400 && e.code === 'content_filter');
  assert.equal(up.requests.length, before);
  const ok = await client(turnsLast).chat.completions.create({ model: 'm', messages });
  assert.deepEqual(ok, CANNED_CHAT);
});

await check('curl: block response shapes match the golden files', async () => {
  const golden = path.join(ROOT, 'tests/proxy/golden');
  const curl = (server, body) => execFileSync('curl', ['-sS', '-D', '-', '-H', 'content-type: application/json',
    '--data-binary', body, `${server.base}/v1/chat/completions`]).toString();
  // Volatile values (ids, times, the random model's p_unsafe/category/severity) -> placeholders.
  const normalise = (text) => text
    .replace(/"(id|created)":("[^"]*"|\d+)/g, '"$1":"<$1>"')
    .replace(/"p_unsafe":[0-9.e-]+/g, '"p_unsafe":"<p>"')
    .replace(/"category":"[a-z_]+"/g, '"category":"<category>"')
    .replace(/"filtered":(true|false),"severity":"[a-z]+"/g, '"filtered":"<f>","severity":"<s>"')
    .replace(/category [a-z_]+, p_unsafe [0-9.]+/g, 'category <category>, p_unsafe <p>');
  const cases = [
    ['block_error.json', blockErr, JSON.stringify(chatParams('bomb'))],
    ['block_refusal.json', blockRef, JSON.stringify(chatParams('bomb'))],
    ['block_refusal_stream.txt', blockRef, JSON.stringify(chatParams('bomb', { stream: true }))],
  ];
  for (const [file, server, body] of cases) {
    const out = curl(server, body);
    const [head, payload] = out.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 (400|200) /);
    assert.match(head, /\r\nx-haloguard-verdict: unsafe\r\n/);
    assert.match(head, /\r\nx-haloguard-p-unsafe: [01]\.\d{4}\r\n/);
    // HG_UPDATE_GOLDEN=1 rewrites the files (review the diff before committing).
    if (process.env.HG_UPDATE_GOLDEN) fs.writeFileSync(path.join(golden, file), normalise(payload));
    assert.equal(normalise(payload), fs.readFileSync(path.join(golden, file), 'utf8'), file);
  }
});

await check('metrics: proxy outcomes, upstream errors and latency histogram', async () => {
  const m = await (await fetch(`${allow.base}/metrics`)).text();
  assert.match(m, /haloguard_proxy_requests_total\{route="\/v1\/chat\/completions",outcome="allowed"\} [1-9]/);
  assert.match(m, /haloguard_proxy_upstream_errors_total\{reason="timeout"\} 1/);
  assert.match(m, /haloguard_proxy_upstream_head_seconds_count [1-9]/);
  assert.match(m, /haloguard_proxy_upstream_errors_total\{reason="cut"\} 1/);
  assert.match(m, /haloguard_proxy_upstream_errors_total\{reason="client_left"\} [1-9]/);
  const b = await (await fetch(`${blockErr.base}/metrics`)).text();
  assert.match(b, /haloguard_proxy_requests_total\{route="\/v1\/chat\/completions",outcome="blocked"\} [1-9]/);
  const d = await (await fetch(`${down.base}/metrics`)).text();
  assert.match(d, /haloguard_proxy_upstream_errors_total\{reason="unavailable"\} 1/);
});

await check('SIGTERM drains: a running stream finishes, new requests get 503, exit 0', async () => {
  up.mode.chunkDelayMs = 100;
  const c = client(allow);
  const stream = await c.chat.completions.create(chatParams('last story', { stream: true }));
  const exited = new Promise((r) => allow.proc.once('exit', (code) => r(code)));
  const words = [];
  let signalled = false;
  for await (const chunk of stream) {
    words.push(chunk.choices[0]?.delta?.content ?? '');
    if (!signalled) {
      signalled = true;
      allow.proc.kill('SIGTERM');
      await sleep(50);
      const late = await post(allow, '/v1/chat/completions', JSON.stringify(chatParams('hi')),
                              { authorization: `Bearer ${UPSTREAM_KEY}` }).catch(() => null);
      assert.ok(late === null || late.status === 503, `late request got ${late?.status}`);
    }
  }
  up.mode.chunkDelayMs = 150;
  assert.equal(words.join(''), STREAM_WORDS.join(''));
  assert.equal(await exited, 0);
});

await Promise.all([allow, blockErr, blockRef, down, failOpen, failClosed, turnsAll, turnsLast, review]
  .map((s) => s.stop()));
await up.close();
const failed = results.filter((r) => !r.ok);
console.log(`${results.length - failed.length}/${results.length} passed`);
process.exit(failed.length ? 1 : 0);
