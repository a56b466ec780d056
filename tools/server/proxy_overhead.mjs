// Guard proxy overhead bench (issue 15): on a safe prompt, the time from sending a chat
// completion to the proxy until the (local, fake) upstream has the whole request, minus the
// time the same server takes to answer /v1/classify for the same text (same HTTP server, same
// scheduler, same classifier: what is left is the proxy's own work: prompt extraction, verdict,
// pooled libcurl handoff and the upstream hop). Pairs run back to back, interleaved; p50/p95 of
// the per-pair differences and of both sides are printed as JSON.
// Usage: HG_BINARY=build/haloguard [HG_FAKE_SERVE=...] node tools/server/proxy_overhead.mjs [N]
//   default guard: the tiny checkpoint (tests/data/tiny_qwen35); HG_BENCH_FAKE=1: hg_fake_serve.
import { startFakeUpstream } from '../../tests/proxy/fake_upstream.mjs';
import { startFakeGuard, startGuard } from '../../tests/proxy/harness.mjs';

const n = Number(process.argv[2] ?? 300);
const up = await startFakeUpstream();
const args = ['--upstream', up.baseURL, '--batch-timeout-ms', '0'];
const fake = process.env.HG_BENCH_FAKE === '1';
const guard = fake ? await startFakeGuard(args) : await startGuard(['--threshold', '1', ...args]);
if (fake) await new Promise((r) => setTimeout(r, 300));
const text = 'What is the capital of France, and why is it famous?';
const chat = JSON.stringify({ model: 'fake-llm', messages: [{ role: 'user', content: text }] });
const classify = JSON.stringify({ query: text });
const post = (path, body) => fetch(`${guard.base}${path}`,
  { method: 'POST', body, headers: { 'content-type': 'application/json' } });

async function proxied() {
  const before = up.requests.length;
  const t0 = performance.now();
  const r = await post('/v1/chat/completions', chat);
  await r.arrayBuffer();
  if (r.status !== 200 || up.requests.length !== before + 1) throw new Error(`proxy: ${r.status}`);
  return up.requests[before].at - t0;  // to the upstream having the whole request
}
async function classified() {
  const t0 = performance.now();
  const r = await post('/v1/classify', classify);
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`classify: ${r.status}`);
  return performance.now() - t0;
}

for (let i = 0; i < 30; ++i) { await proxied(); await classified(); }  // warm: pool, caches
const p = [], c = [], d = [];
for (let i = 0; i < n; ++i) {
  const a = await proxied(), b = await classified();
  p.push(a); c.push(b); d.push(a - b);
}
const q = (xs, f) => { const s = [...xs].sort((x, y) => x - y); return +s[Math.min(s.length - 1, Math.floor(f * s.length))].toFixed(3); };
console.log(JSON.stringify({
  guard: fake ? 'hg_fake_serve (FakeClassifier)' : 'haloguard serve, tiny checkpoint',
  pairs: n,
  overhead_ms: { p50: q(d, 0.5), p95: q(d, 0.95) },
  to_upstream_ms: { p50: q(p, 0.5), p95: q(p, 0.95) },
  classify_ms: { p50: q(c, 0.5), p95: q(c, 0.95) },
  target_ms: 2,
}, null, 1));
await guard.stop();
await up.close();
