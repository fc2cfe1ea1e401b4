#!/usr/bin/env node
// A bounded minute of traffic over the examples of a running `npm start`, so the
// dashboards have something to show. Requests come from the "Try it" curl lines in
// examples/*.js (so the demo follows the examples), at a steady rate with bounded
// concurrency; then it prints what it sent and where to look.
// Usage: npm run demo [-- --seconds 60 --rate 20 --gateway http://127.0.0.1:8787 --viewer http://127.0.0.1:8788]
/* global AbortSignal */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const opt = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const num = (name, def, min, max) => {
  const v = Number(opt(name, def));
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`demo: --${name} must be a number in [${min}, ${max}]`);
    process.exit(2);
  }
  return v;
};
const seconds = num('seconds', 60, 1, 3600);
const rate = num('rate', 20, 0.1, 2000);
const gateway = opt('gateway', `http://127.0.0.1:${process.env.ISOTEL_GATEWAY_PORT ?? 8787}`).replace(/\/$/, '');
const viewer = opt('viewer', `http://127.0.0.1:${process.env.ISOTEL_VIEWER_PORT ?? 8788}`).replace(/\/$/, '');
const examplesDir = opt('examples', join(root, 'examples'));
const MAX_IN_FLIGHT = 32;

/** Shell-like words of a curl command line (single and double quotes). */
function words(line) {
  const out = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/**
 * The "Try it" curl lines of an example: `[VAR=$(]curl [-X M] [-H 'k: v'] [-d 'body' | --data-binary @file] URL [| jq -r .field)]`.
 * A `VAR=$(curl … | jq -r .field)` line runs first and its field fills `$VAR` in later lines.
 */
function requestsOf(file) {
  const name = file.replace(/\.js$/, '');
  const text = readFileSync(join(examplesDir, file), 'utf8');
  const out = [];
  for (const m of text.matchAll(/^\/\/.*?(?:(\w+)=\$\()?curl\s+(.*)$/gm)) {
    const [, captureVar, rest] = m;
    const [cmd, ...pipes] = rest.split('|');
    const w = words(cmd.replace(/\)\s*$/, ''));
    const r = { fn: name, method: undefined, path: undefined, headers: {}, body: undefined, capture: undefined };
    for (let i = 0; i < w.length; i++) {
      const a = w[i];
      if (a === '-X') r.method = w[++i];
      else if (a === '-H') {
        const [k, ...v] = String(w[++i]).split(':');
        r.headers[k.trim().toLowerCase()] = v.join(':').trim();
      } else if (a === '-d' || a === '--data' || a === '--data-binary') {
        const v = String(w[++i]);
        r.body = v.startsWith('@') ? { file: v.slice(1) } : v;
      } else if (/^https?:\/\//.test(a)) {
        const u = new URL(a);
        r.path = u.pathname + u.search;
      }
    }
    if (!r.path) continue;
    r.method ??= r.body !== undefined ? 'POST' : 'GET';
    const jq = pipes.map((p) => /jq\s+-r\s+\.(\w+)/.exec(p)?.[1]).find(Boolean);
    if (captureVar && jq) r.capture = { var: captureVar, field: jq };
    out.push(r);
  }
  if (out.length === 0) out.push({ fn: name, method: 'GET', path: `/${name}/`, headers: {} });
  return out;
}

function bodyOf(r) {
  if (r.body === undefined || typeof r.body === 'string') return r.body;
  // --data-binary @file: the file if it exists (bounded), else a few KiB of text.
  for (const f of [r.body.file, join(root, r.body.file)]) {
    try {
      return readFileSync(f).subarray(0, 256 * 1024);
    } catch {
      /* next */
    }
  }
  return 'isotel demo payload\n'.repeat(200);
}

const vars = {};
const expand = (s) => s.replace(/\$(\w+)/g, (m, v) => vars[v] ?? m);

const requests = readdirSync(examplesDir).filter((f) => f.endsWith('.js')).sort().flatMap(requestsOf);
if (requests.length === 0) {
  console.error(`demo: no examples in ${examplesDir}`);
  process.exit(2);
}
try {
  const health = await fetch(`${gateway}/_isotel/health`, { signal: AbortSignal.timeout(3000) });
  if (!health.ok) throw new Error(`health answered ${health.status}`);
} catch (e) {
  console.error(`demo: no isotel gateway at ${gateway} (${e.message}). Start it with \`npm start\` first, or pass --gateway.`);
  process.exit(2);
}

for (const r of requests.filter((x) => x.capture)) {
  try {
    const res = await fetch(gateway + r.path, { method: r.method, body: bodyOf(r), headers: r.headers, signal: AbortSignal.timeout(10_000) });
    const v = (await res.json())[r.capture.field];
    if (typeof v === 'string') vars[r.capture.var] = v;
  } catch (e) {
    console.error(`demo: ${r.method} ${r.path} (for $${r.capture.var}) failed: ${e.message}`);
  }
}
console.error(`demo: ${seconds} s of traffic at ${rate} req/s over ${requests.length} example requests (${[...new Set(requests.map((r) => r.fn))].join(', ')}) → ${gateway}`);
const stats = new Map(); // "GET /router/..." → {n, statuses, ms[]}
let inFlight = 0;
let skipped = 0;
let sent = 0;
const started = Date.now();
const end = started + seconds * 1000;

async function one(r) {
  const key = `${r.method} ${r.path}`;
  const s = stats.get(key) ?? { n: 0, statuses: {}, ms: [] };
  stats.set(key, s);
  const t = performance.now();
  let status;
  try {
    const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, expand(v)]));
    const res = await fetch(gateway + r.path, { method: r.method, body: bodyOf(r), headers, signal: AbortSignal.timeout(15_000) });
    await res.arrayBuffer();
    status = String(res.status);
  } catch (e) {
    status = e.name === 'TimeoutError' ? 'timeout' : 'network-error';
  }
  s.n++;
  s.statuses[status] = (s.statuses[status] ?? 0) + 1;
  s.ms.push(performance.now() - t);
}

let i = 0;
const pending = new Set();
while (Date.now() < end) {
  const due = started + (sent + skipped) * (1000 / rate);
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  if (inFlight >= MAX_IN_FLIGHT) {
    skipped++; // bounded: never pile up requests behind a slow host
    continue;
  }
  // Mostly the cheap paths, with the heavier examples mixed in: a skewed pick.
  const r = requests[Math.floor(Math.pow(Math.random(), 1.3) * requests.length)] ?? requests[i++ % requests.length];
  inFlight++;
  sent++;
  const p = one(r).finally(() => {
    inFlight--;
    pending.delete(p);
  });
  pending.add(p);
  if (sent % Math.max(1, Math.round(rate * 10)) === 0) console.error(`demo: ${sent} requests, ${Math.round((Date.now() - started) / 1000)} s`);
}
await Promise.all(pending);

const pct = (a, q) => (a.length ? a.sort((x, y) => x - y)[Math.min(a.length - 1, Math.ceil(q * a.length) - 1)] : 0);
console.log(`\n${'request'.padEnd(46)} ${'n'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}  statuses`);
for (const [key, s] of [...stats].sort()) console.log(`${key.slice(0, 46).padEnd(46)} ${String(s.n).padStart(6)} ${pct(s.ms, 0.5).toFixed(1).padStart(8)} ${pct(s.ms, 0.95).toFixed(1).padStart(8)}  ${JSON.stringify(s.statuses)}`);
console.log(`\nsent ${sent} requests in ${Math.round((Date.now() - started) / 1000)} s${skipped ? ` (${skipped} skipped: ${MAX_IN_FLIGHT} already in flight)` : ''}`);
console.log(`dashboards: ${viewer}/viewer/   live tail: isotel tail`);
