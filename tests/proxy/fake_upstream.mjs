// A small OpenAI-compatible fake upstream LLM for the guard proxy tests (Node built-ins only).
// Records the exact bytes of every request it receives, answers chat completions, completions
// and responses plain or as SSE (chunks spaced by `chunkDelayMs`, so incrementality can be
// observed), can be told to hang (never answer) or to stall before answering, and records when
// a client (the proxy) closed its socket before the answer was complete.
//
//   import { startFakeUpstream } from './fake_upstream.mjs';
//   const up = await startFakeUpstream();   // up.baseURL = http://127.0.0.1:PORT/v1
//   up.mode = { hang: false, delayMs: 0, chunkDelayMs: 150, chunks: 6, flood: 0 };
//     flood: N > 0 streams N bytes of numbered SSE events as fast as the socket takes them
//     (honouring backpressure); up.flood = {written, events, done} counts what the socket took.
//     cutAfter: k destroys the socket after k chunks of a streamed chat answer.
//   Authorization "Bearer bad-key" gets a 401 OpenAI error (an upstream error to relay).
//   up.requests  -> [{method, url, headers, body: Buffer, at}]
//   up.aborts    -> [{url, at}]  (socket closed mid-answer)
//   up.open, up.maxOpen -> client connections open now / at most at once
// Standalone: `node fake_upstream.mjs` prints "LISTENING <port>" and serves until killed.
import http from 'node:http';

export const CANNED_CHAT = {
  id: 'chatcmpl-upstream-0001', object: 'chat.completion', created: 1700000000,
  model: 'fake-llm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Paris is the capital of France.' },
              logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 },
};
export const CANNED_COMPLETION = {
  id: 'cmpl-upstream-0001', object: 'text_completion', created: 1700000000, model: 'fake-llm',
  choices: [{ index: 0, text: ' blue.', logprobs: null, finish_reason: 'stop' }],
};
export const CANNED_RESPONSE = {
  id: 'resp_upstream_0001', object: 'response', created_at: 1700000000, status: 'completed',
  model: 'fake-llm', output_text: 'Hello from responses.',
  output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant',
             content: [{ type: 'output_text', text: 'Hello from responses.', annotations: [] }] }],
};
export const MODELS = { object: 'list', data: [{ id: 'fake-llm', object: 'model', created: 1700000000, owned_by: 'fake' }] };
// The pieces of a streamed chat answer, in order.
export const STREAM_WORDS = ['Once', ' upon', ' a', ' time', ' there', ' was', ' a', ' proxy'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function chunkOf(i, word, finish) {
  return {
    id: 'chatcmpl-upstream-stream', object: 'chat.completion.chunk', created: 1700000000,
    model: 'fake-llm',
    choices: [{ index: 0, delta: finish ? {} : (i === 0 ? { role: 'assistant', content: word }
                                                          : { content: word }),
                logprobs: null, finish_reason: finish ? 'stop' : null }],
  };
}

async function streamChat(res, up, state) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache',
                       'x-request-id': 'upstream-req-stream' });
  const n = Math.min(up.mode.chunks ?? STREAM_WORDS.length, STREAM_WORDS.length);
  for (let i = 0; i < n && !state.closed; ++i) {
    if (up.mode.cutAfter !== undefined && i === up.mode.cutAfter) {
      res.socket.destroy();  // the upstream dies mid-answer
      return;
    }
    res.write(`data: ${JSON.stringify(chunkOf(i, STREAM_WORDS[i], false))}\n\n`);
    await sleep(up.mode.chunkDelayMs ?? 150);
  }
  if (state.closed) return;
  res.write(`data: ${JSON.stringify(chunkOf(n, '', true))}\n\n`);
  res.end('data: [DONE]\n\n');
}

// Numbered events ({"seq": n, "pad": ...}) as fast as the proxy reads them.
async function flood(res, up, state) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  up.flood = { written: 0, events: 0, done: false };
  const pad = 'x'.repeat(1000);
  for (let seq = 0; up.flood.written < up.mode.flood && !state.closed; ++seq) {
    const event = `data: {"seq":${seq},"pad":"${pad}"}\n\n`;
    up.flood.written += event.length;
    up.flood.events = seq + 1;
    if (!res.write(event)) {
      await new Promise((r) => {
        const go = () => { res.off('drain', go); res.off('close', go); r(); };
        res.on('drain', go);
        res.on('close', go);
      });
    }
  }
  if (state.closed) return;
  res.end('data: [DONE]\n\n');
  up.flood.done = true;
}

function answer(req, res, body, up, state) {
  const json = (() => { try { return JSON.parse(body.toString('utf8')); } catch { return {}; } })();
  if (req.headers.authorization === 'Bearer bad-key') {
    res.writeHead(401, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error',
                                             param: null, code: 'invalid_api_key' } }));
  }
  if (req.url.startsWith('/v1/chat/completions')) {
    if (json.stream && up.mode.flood) return flood(res, up, state);
    if (json.stream) return streamChat(res, up, state);
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'upstream-req-1',
                         'openai-processing-ms': '12', 'x-ratelimit-remaining-requests': '99' });
    return res.end(JSON.stringify(CANNED_CHAT));
  }
  if (req.method === 'GET' && req.url === '/v1/models') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(MODELS));
  }
  if (req.url.startsWith('/v1/completions')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(CANNED_COMPLETION));
  }
  if (req.url.startsWith('/v1/responses')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(CANNED_RESPONSE));
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message: `fake upstream: no route ${req.url}`, type: 'invalid_request_error' } }));
}

export async function startFakeUpstream() {
  const up = { mode: { hang: false, delayMs: 0, chunkDelayMs: 150 }, requests: [], aborts: [] };
  const server = http.createServer((req, res) => {
    const parts = [];
    const state = { closed: false, done: false };
    res.on('finish', () => { state.done = true; });
    res.on('close', () => {
      state.closed = true;
      if (!state.done) up.aborts.push({ url: req.url, at: performance.now() });
    });
    req.on('data', (d) => parts.push(d));
    req.on('end', async () => {
      const body = Buffer.concat(parts);
      up.requests.push({ method: req.method, url: req.url, headers: req.headers, body,
                         at: performance.now() });
      if (up.mode.hang) return;  // never answer: the proxy's timeout must fire
      if (up.mode.delayMs) await sleep(up.mode.delayMs);
      if (!state.closed) answer(req, res, body, up, state);
    });
  });
  // Open connections now and the most seen at once (reset maxOpen to measure a phase).
  up.open = 0;
  up.maxOpen = 0;
  server.on('connection', (sock) => {
    up.maxOpen = Math.max(up.maxOpen, ++up.open);
    sock.on('close', () => { --up.open; });
  });
  server.keepAliveTimeout = 5000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  up.port = server.address().port;
  up.baseURL = `http://127.0.0.1:${up.port}/v1`;
  up.close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return up;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const up = await startFakeUpstream();
  console.log(`LISTENING ${up.port}`);
}
