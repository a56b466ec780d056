// nginx (Debian's, run unprivileged from a temp dir) as a reverse proxy in front of the guard
// proxy mode, itself in front of the fake upstream: a plain and a streamed chat completion go
// through both proxies unchanged, and the stream stays incremental with proxy_buffering off
// (the config docs/INTEGRATIONS.md shows). Exit 77 = skipped (no nginx).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CANNED_CHAT, STREAM_WORDS, startFakeUpstream } from './fake_upstream.mjs';
import { closedPort, loadOpenAI, skip, startGuard } from './harness.mjs';

const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
if (!nginx) skip('nginx not installed (apt-get install nginx-light)');
const OpenAI = loadOpenAI();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const up = await startFakeUpstream();
const guard = await startGuard(['--threshold', '1', '--upstream', up.baseURL]);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hg-nginx-'));
const port = await closedPort();
fs.writeFileSync(path.join(dir, 'nginx.conf'), `
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream haloguard { server 127.0.0.1:${guard.port}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    location /v1/ {
      proxy_pass http://haloguard;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
`);
const proc = spawn(nginx, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf')], { stdio: 'inherit' });
process.on('exit', () => { try { proc.kill('SIGKILL'); } catch {} });
let ok = false;
for (let i = 0; i < 100 && !ok; ++i) {
  try { ok = (await fetch(`http://127.0.0.1:${port}/v1/models`)).status > 0; } catch { await sleep(50); }
}
assert.ok(ok, 'nginx did not start');

const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-any', maxRetries: 0 });
let failed = 0;
try {
  const { data, response } = await client.chat.completions
    .create({ model: 'fake-llm', messages: [{ role: 'user', content: 'capital of France?' }] })
    .withResponse();
  assert.deepEqual(data, CANNED_CHAT);
  assert.equal(response.headers.get('x-haloguard-verdict'), 'safe');
  console.log('PASS plain chat through nginx');

  up.mode.chunkDelayMs = 150;
  const stream = await client.chat.completions.create(
    { model: 'fake-llm', messages: [{ role: 'user', content: 'a story' }], stream: true });
  const times = [], words = [];
  for await (const ch of stream) {
    times.push(performance.now());
    words.push(ch.choices[0]?.delta?.content ?? '');
  }
  assert.equal(words.join(''), STREAM_WORDS.join(''));
  const span = times.at(-1) - times[0];
  assert.ok(span >= 700, `first-to-last chunk span ${span.toFixed(0)} ms through nginx; expected >= 700`);
  console.log(`PASS streamed chat through nginx (first-to-last chunk ${span.toFixed(0)} ms)`);
} catch (e) {
  failed = 1;
  console.log(`FAIL ${e.stack ?? e}`);
  try { console.log(fs.readFileSync(path.join(dir, 'error.log'), 'utf8')); } catch {}
}
proc.kill('SIGTERM');
await new Promise((r) => proc.once('exit', r));
await guard.stop();
await up.close();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(failed);
