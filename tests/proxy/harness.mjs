// Process helpers for the guard proxy tests and bench: start `haloguard serve` (tiny checkpoint)
// or hg_fake_serve on an OS-chosen port, wait for it, stop it; a free-then-closed port for
// "upstream down"; the OpenAI SDK from tools/oracles (exit 77 = CTest skip when it is missing).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SKIP = 77;

export function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(SKIP);
}

// The official OpenAI Node SDK (scripts/oracles.sh), or a skip.
export function loadOpenAI() {
  const pkg = path.join(ROOT, 'tools/oracles/node_modules/openai/package.json');
  if (!fs.existsSync(pkg)) skip("npm 'openai' missing; run scripts/oracles.sh");
  const require = createRequire(path.join(ROOT, 'tools/oracles/package.json'));
  const mod = require('openai');
  return mod.default ?? mod;
}

export async function closedPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const live = new Set();
process.on('exit', () => { for (const p of live) try { p.kill('SIGKILL'); } catch {} });

// Starts `binary args...` and resolves {port, base, proc, stop, log()} once it listens (the
// port comes from "LISTENING <port>" on stdout or "listening on HOST:PORT" in the log).
export function startServer(binary, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    let text = '';
    let done = false;
    const onData = (d) => {
      text += d.toString();
      const m = text.match(/LISTENING (\d+)/) ?? text.match(/listening on [^\s]*:(\d+)/);
      if (m && !done) {
        done = true;
        const port = Number(m[1]);
        resolve({
          port, base: `http://127.0.0.1:${port}`, proc, log: () => text,
          stop: async () => {
            if (proc.exitCode !== null || proc.signalCode !== null) return;
            proc.kill('SIGTERM');
            const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
            await new Promise((r) => proc.once('exit', r));
            clearTimeout(t);
            live.delete(proc);
            // A sanitizer build (preset asan) reports memory errors and leaks at exit.
            if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(text)) {
              throw new Error(`${path.basename(binary)} sanitizer report:\n${text}`);
            }
          },
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => { if (!done) reject(new Error(`${binary} exited ${code}:\n${text}`)); });
  });
}

// Polls GET /readyz until 200 (the model loaded).
export async function waitReady(server, headers = {}, timeoutMs = 30000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      const r = await fetch(`${server.base}/readyz`, { headers });
      if (r.status === 200) return;
    } catch {}
    await sleep(50);
  }
  throw new Error(`not ready after ${timeoutMs} ms:\n${server.log()}`);
}

// `haloguard serve` on the tiny random checkpoint with `args`, ready.
export async function startGuard(args) {
  const bin = process.env.HG_BINARY;
  if (!bin || !fs.existsSync(bin)) skip('HG_BINARY not set or missing');
  const model = process.env.HG_MODEL ?? path.join(ROOT, 'tests/data/tiny_qwen35');
  const s = await startServer(bin, ['serve', '--model', model, '--offline', '--port', '0',
                                    '--threads', '1', '--open-health', '--no-ui', ...args]);
  await waitReady(s);
  return s;
}

// hg_fake_serve (deterministic keyword FakeClassifier) with `args`; not waited for readiness.
export async function startFakeGuard(args) {
  const bin = process.env.HG_FAKE_SERVE;
  if (!bin || !fs.existsSync(bin)) skip('HG_FAKE_SERVE not set or missing');
  return startServer(bin, ['--port', '0', '--open-health', ...args]);
}
