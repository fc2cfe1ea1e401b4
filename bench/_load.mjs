// Load generator for the benchmarks, run as its own process so its CPU is not
// counted as the server's. Keeps `connections` requests in flight for `seconds`.
// Usage: node _load.mjs <url> <connections> <seconds>  → one JSON line on stdout.
import { Pool } from 'undici';

const [url, connectionsArg, secondsArg] = process.argv.slice(2);
const connections = Number(connectionsArg ?? 16);
const seconds = Number(secondsArg ?? 5);
const target = new URL(url);
const pool = new Pool(target.origin, { connections, pipelining: 1 });
const latencies = [];
let errors = 0;
let done = 0;
const deadline = performance.now() + seconds * 1000;

async function worker() {
  while (performance.now() < deadline) {
    const t0 = performance.now();
    try {
      const res = await pool.request({ path: target.pathname + target.search, method: 'GET' });
      await res.body.dump();
      if (res.statusCode !== 200) errors++;
      else done++;
    } catch {
      errors++;
    }
    latencies.push(performance.now() - t0);
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: connections }, worker));
const elapsed = (performance.now() - started) / 1000;
await pool.close();
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
process.stdout.write(JSON.stringify({ requests: done, errors, seconds: elapsed, rps: done / elapsed, p50Ms: q(0.5), p99Ms: q(0.99) }) + '\n');
