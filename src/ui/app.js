// HaloGuard console logic: tabs, the API key (in memory only), Playground (POST /v1/classify),
// Live (GET /v1/stats + /v1/monitor/jobs, polled), Settings (GET /health). No dependencies.
'use strict';

const state = { key: '', view: 'playground', liveTimer: 0 };
const $ = (id) => document.getElementById(id);

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const k of kids) e.append(k);
  return e;
}

function showError(msg) {
  const p = $('error');
  p.textContent = msg || '';
  p.hidden = !msg;
}

// fetch() with the bearer key; resolves to parsed JSON or throws Error(the API's message).
async function api(method, path, body) {
  const headers = {};
  if (state.key) headers.Authorization = 'Bearer ' + state.key;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let j = null;
  try { j = JSON.parse(text); } catch (e) { j = null; }
  if (!r.ok) {
    const m = j && j.error && j.error.message ? j.error.message : text.slice(0, 200);
    throw new Error(r.status + ': ' + m);
  }
  return j;
}

// ---- tabs ----
function selectView(name) {
  state.view = name;
  for (const v of ['playground', 'live', 'settings']) {
    $('tab-' + v).setAttribute('aria-selected', String(v === name));
    $('tab-' + v).tabIndex = v === name ? 0 : -1;
    $('view-' + v).hidden = v !== name;
  }
  clearInterval(state.liveTimer);
  if (name === 'live') { refreshLive(); state.liveTimer = setInterval(refreshLive, 2000); }
  if (name === 'settings') refreshSettings();
}

function initTabs() {
  const names = ['playground', 'live', 'settings'];
  names.forEach((n, i) => {
    const tab = $('tab-' + n);
    tab.addEventListener('click', () => selectView(n));
    tab.addEventListener('keydown', (ev) => {
      const d = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
      if (!d) return;
      const next = names[(i + d + names.length) % names.length];
      selectView(next);
      $('tab-' + next).focus();
    });
  });
}

// ---- playground ----
function addMessage(role, content) {
  const li = el('li');
  const sel = el('select', { ariaLabel: 'role' });
  for (const r of ['system', 'user', 'assistant']) sel.append(el('option', { value: r, textContent: r }));
  sel.value = role;
  const ta = el('textarea', { rows: 2, value: content || '', ariaLabel: 'content' });
  const rm = el('button', { type: 'button', textContent: 'Remove' });
  rm.addEventListener('click', () => li.remove());
  li.append(sel, ta, rm);
  $('messages').append(li);
}

function readMessages() {
  return [...$('messages').children].map((li) => ({
    role: li.querySelector('select').value, content: li.querySelector('textarea').value }));
}

function mode() { return document.querySelector('input[name=mode]:checked').value; }

async function classify(ev) {
  ev.preventDefault();
  showError('');
  let body, text;
  if (mode() === 'text') {
    text = $('text').value;
    body = { query: text };
  } else {
    const msgs = readMessages();
    const users = msgs.filter((m) => m.role === 'user');
    text = users.length ? users[users.length - 1].content : '';
    body = { messages: msgs };
  }
  $('classify').disabled = true;
  const t0 = performance.now();
  try {
    const r = await api('POST', '/v1/classify', body);
    renderResult(r, text, performance.now() - t0);
  } catch (e) {
    showError(e.message);
  } finally {
    $('classify').disabled = false;
  }
}

const pct = (v) => (100 * v).toFixed(1) + '%';

function renderResult(r, text, ms) {
  $('result').hidden = false;
  const unsafe = r.safety_label === 'Unsafe';
  const v = $('verdict');
  v.textContent = r.safety_label;
  v.className = 'verdict ' + (unsafe ? 'unsafe' : 'safe');
  $('category').textContent = r.category;
  $('overlay').textContent = r.attack_overlay || 'none';
  $('action').textContent = r.action;
  $('latency').textContent = ms.toFixed(0) + ' ms';
  $('windows').textContent = r.window_count + (r.window_count > 1 ? ' (deciding: #' + r.selected_window_index + ')' : '');
  const p = r.tier_probs.unsafe;
  $('punsafe-bar').style.width = pct(p);
  $('punsafe-bar').dataset.value = String(p);
  $('threshold-mark').style.left = pct(r.threshold);
  $('threshold-mark').dataset.value = String(r.threshold);
  $('punsafe-text').textContent = 'p_unsafe ' + p.toFixed(4) + ' / threshold ' + r.threshold;
  renderCategoryBars($('category-bars'), Object.entries(r.category_scores), r.category, 1);
  renderWindows(r, text);
}

// Sorted bars: entries [[label, value]], the largest first; `scale` is the full-bar value.
function renderCategoryBars(ol, entries, top, scale) {
  ol.replaceChildren();
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [label, value] of entries) {
    const fill = el('span');
    fill.style.width = pct(scale > 0 ? Math.min(1, value / scale) : 0);
    const li = el('li', {}, el('span', { textContent: label }), el('div', { className: 'bar' }, fill),
      el('span', { textContent: scale === 1 ? value.toFixed(4) : String(value) }));
    li.dataset.label = label;
    li.dataset.value = String(value);
    if (label === top) li.className = 'top';
    ol.append(li);
  }
}

// Shades the classified text: windows' byte spans (UTF-8) split it into segments, each shaded by
// the highest p_unsafe of the windows covering it; segments inside the deciding window are outlined.
function renderWindows(r, text) {
  const spans = r.window_spans || [];
  const section = $('window-section');
  section.hidden = !(r.window_count > 1 && spans.length === r.window_count);
  if (section.hidden) return;
  const bytes = new TextEncoder().encode(text);
  const dec = new TextDecoder();
  const cuts = new Set([0, bytes.length]);
  for (const [b, e] of spans) { cuts.add(b); cuts.add(e); }
  const sorted = [...cuts].sort((a, b) => a - b);
  const box = $('window-text');
  box.replaceChildren();
  const [sb, se] = spans[r.selected_window_index];
  for (let i = 0; i + 1 < sorted.length; ++i) {
    const b = sorted[i], e = sorted[i + 1];
    const covering = spans.map((s, w) => (s[0] <= b && e <= s[1] ? w : -1)).filter((w) => w >= 0);
    const seg = el('span', { textContent: dec.decode(bytes.subarray(b, e)) });
    if (covering.length) {
      const risk = Math.max(...covering.map((w) => r.window_risk_scores[w]));
      seg.className = 'win' + (sb <= b && e <= se ? ' selected' : '');
      seg.dataset.risk = String(risk);
      seg.dataset.windows = covering.join(',');
      seg.style.backgroundColor = 'rgba(var(--risk), ' + (0.1 + 0.6 * risk).toFixed(3) + ')';
      seg.title = 'windows ' + covering.join(', ') + ': p_unsafe ' + risk.toFixed(4);
    }
    box.append(seg);
  }
  const list = $('window-list');
  list.replaceChildren();
  r.window_risk_scores.forEach((s, w) => {
    const b = el('button', { type: 'button', textContent: '#' + w + ' ' + s.toFixed(3) });
    if (w === r.selected_window_index) b.className = 'selected';
    b.addEventListener('click', () => {
      for (const seg of box.querySelectorAll('span.win')) {
        if (seg.dataset.windows.split(',').includes(String(w))) { seg.scrollIntoView({ block: 'nearest' }); return; }
      }
    });
    list.append(el('li', {}, b));
  });
}

// ---- live ----
function drawSeries(canvas, values) {
  const c = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  c.clearRect(0, 0, w, h);
  const nums = values.map((v) => (v === null ? 0 : v));
  const max = Math.max(1e-9, ...nums);
  c.strokeStyle = getComputedStyle(document.body).getPropertyValue('--accent') || '#0969da';
  c.lineWidth = 2;
  c.beginPath();
  nums.forEach((v, i) => {
    const x = nums.length > 1 ? (i * w) / (nums.length - 1) : 0;
    const y = h - 2 - (v / max) * (h - 4);
    if (i) c.lineTo(x, y); else c.moveTo(x, y);
  });
  c.stroke();
}

const fmtS = (s) => (s === null || s === undefined ? '-' : (s * 1000).toFixed(1) + ' ms');

async function refreshLive() {
  try {
    const s = await api('GET', '/v1/stats');
    const pts = s.points;
    const last = pts.length ? pts[pts.length - 1] : null;
    const t = s.totals || {};
    const rate = t.requests && pts.length ? t.requests / Math.max(1, s.now - pts[0].t + pts[0].dt) : 0;
    $('live-rate').textContent = rate.toFixed(2);
    $('live-rate').dataset.requests = String(t.requests || 0);
    $('live-latency').textContent = fmtS(t.latency_p50_s) + ' / ' + fmtS(t.latency_p95_s);
    $('live-queue').textContent = last ? String(last.queue_depth) : '0';
    $('live-batch').textContent = t.batch_size_mean === null || t.batch_size_mean === undefined ? '-' : String(t.batch_size_mean);
    drawSeries($('chart-rate'), pts.map((p) => p.requests_per_s));
    drawSeries($('chart-latency'), pts.map((p) => p.latency_p95_s));
    drawSeries($('chart-queue'), pts.map((p) => p.queue_depth));
    drawSeries($('chart-batch'), pts.map((p) => p.batch_size_mean));
    $('live-verdicts').textContent = 'safe ' + (t.safe || 0) + ' · unsafe ' + (t.unsafe || 0);
    $('live-verdicts').dataset.safe = String(t.safe || 0);
    $('live-verdicts').dataset.unsafe = String(t.unsafe || 0);
    const cats = Object.entries(t.categories || {});
    renderCategoryBars($('live-categories'), cats, '', Math.max(1, ...cats.map((c) => c[1])));
    showError('');
  } catch (e) {
    showError(e.message);
  }
  refreshJobs();
}

async function refreshJobs() {
  const body = $('jobs').tBodies[0];
  try {
    const j = await api('GET', '/v1/monitor/jobs');
    body.replaceChildren();
    for (const job of j.data) {
      const pr = job.progress;
      const prog = pr.windows_total ? pr.windows_done + ' / ' + pr.windows_total : String(pr.windows_done);
      const scores = job.result && job.result.window_risk_scores ? job.result.window_risk_scores.map((x) => x.toFixed(3)).join(' ') : '';
      body.append(el('tr', {}, el('td', { textContent: job.id }), el('td', { textContent: job.status }),
        el('td', { textContent: prog }), el('td', { textContent: scores })));
    }
  } catch (e) {
    body.replaceChildren(el('tr', {}, el('td', { colSpan: 4, textContent: e.message })));
  }
}

// ---- settings ----
async function refreshSettings() {
  const dl = $('settings');
  try {
    const h = await api('GET', '/health');
    const s = h.settings || {};
    const rows = [['model id', h.model_id], ['revision', h.model_revision], ['dtype', h.dtype],
      ['weights mode', s.weights], ['threshold', s.threshold], ['max input tokens', h.max_input_tokens],
      ['window length', h.window_length], ['window stride', h.window_stride],
      ['policy file', s.policy_file || 'built-in'], ['calibration file', s.calibration_file || 'none'],
      ['attack rules file', s.attack_rules_file || 'built-in'],
      ['LoRA adapter', h.adapter ? `${h.adapter.id} (r ${h.adapter.r}, ${h.adapter.mode}, ${h.adapter.sha256})` : 'none'],
      ['version', h.version]];
    for (const [name, d] of Object.entries(h.artifact_digests || {})) rows.push(['digest ' + name, d]);
    dl.replaceChildren();
    for (const [k, v] of rows) dl.append(el('dt', { textContent: k }), el('dd', { textContent: v === undefined || v === null ? '-' : String(v) }));
    showError('');
  } catch (e) {
    showError(e.message);
  }
}

function init() {
  initTabs();
  $('key-form').addEventListener('submit', (ev) => ev.preventDefault());
  $('api-key').addEventListener('input', (ev) => { state.key = ev.target.value.trim(); });
  $('classify-form').addEventListener('submit', classify);
  $('add-message').addEventListener('click', () => addMessage('user', ''));
  for (const r of document.querySelectorAll('input[name=mode]')) {
    r.addEventListener('change', () => {
      $('text-input').hidden = mode() !== 'text';
      $('messages-input').hidden = mode() === 'text';
    });
  }
  addMessage('system', '');
  addMessage('user', '');
  $('text').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) $('classify-form').requestSubmit();
  });
}

document.addEventListener('DOMContentLoaded', init);
