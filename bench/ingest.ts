/**
 * Ingest benchmark: OTLP/HTTP protobuf of the host's span shape → embedded ClickHouse.
 *
 *   npm run bench -- ingest [--json] [--seconds=20] [--concurrency=16] [--spans=1000]
 *
 * Figures, all measured in this run:
 *  - spansPerSec: sustained rate, acknowledged spans / (last one queryable − first sent)
 *  - ceilingSpansPerSec: the engine's own fastest insert of the same rows (RowBinary files
 *    read by INSERT … SELECT FROM file(), same batch size, fresh engine) and the ratio
 *  - endToQueryableP99Ms: probe spans sent during the load, span end → first seen by a query
 *  - collectorMaxRssMb: peak resident memory of the collector process
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeProtobuf, signalTypes } from '../collector/decode/otlp.js';
import { mapRequest } from '../collector/rows/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const log = (m: string) => process.stderr.write(`ingest: ${m}\n`);

function arg(args: string[], name: string, def: number): number {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : def;
}

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const int = (key: string, v: number) => ({ key, value: { intValue: v } });
const bool = (key: string, v: boolean) => ({ key, value: { boolValue: v } });

let idCounter = 0;
function id(bytes: number): Buffer {
  const b = Buffer.allocUnsafe(bytes);
  b.writeUInt32BE(++idCounter >>> 0, bytes - 4);
  b.writeUInt32BE((Math.random() * 0xffffffff) >>> 0, 0);
  return b;
}

/** One export request the way the host sends it: per function a Resource, invocation spans, sometimes a cold start with its phases. */
export function hostRequest(spans: number, fnIndex: number, endNs: bigint, service = `fn-${fnIndex}`): Uint8Array {
  const resource = {
    attributes: [
      str('service.name', service),
      str('service.version', '3'),
      str('faas.name', service),
      str('faas.version', '3'),
      str('faas.instance', `inst-${fnIndex}-1`),
      int('faas.max_memory', 134217728),
      str('host.name', 'bench-host'),
      str('host.id', 'bench-host-id'),
      int('process.pid', 4242),
      str('telemetry.sdk.name', 'opentelemetry'),
      str('telemetry.sdk.language', 'nodejs'),
      str('telemetry.sdk.version', '2.12.0'),
    ],
  };
  const out = [];
  for (let i = 0; i < spans; i++) {
    const end = endNs - BigInt(i) * 1000n;
    const start = end - 1_500_000n - BigInt(i % 97) * 10_000n;
    const traceId = id(16);
    const cold = i % 100 === 0;
    out.push({
      traceId,
      spanId: id(8),
      name: service,
      kind: 2,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: end.toString(),
      attributes: [
        str('faas.trigger', 'http'),
        bool('faas.coldstart', cold),
        str('faas.invocation_id', `inv-${idCounter}`),
        str('http.request.method', 'GET'),
        str('url.path', `/items/${i % 50}`),
        str('http.route', '/items/:id'),
        str('url.scheme', 'http'),
        int('http.response.status_code', i % 50 === 0 ? 500 : 200),
        str('isotel.worker.id', 'w1'),
      ],
      status: i % 50 === 0 ? { code: 2, message: 'handler threw' } : {},
    });
    if (cold && out.length < spans) {
      out.push({ traceId, spanId: id(8), name: 'isotel.coldstart', kind: 1, startTimeUnixNano: (start - 800_000n).toString(), endTimeUnixNano: start.toString(), attributes: [str('isotel.coldstart.phase', 'total')] });
      i++;
    }
  }
  const t = signalTypes('traces').request;
  return t.encode(t.fromObject({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'isotel.host', version: '0.1.0' }, spans: out }] }] })).finish();
}

function post(agent: Agent, port: number, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function query<T>(port: number, sql: string): Promise<T[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/query`, { method: 'POST', body: JSON.stringify({ sql }) });
  const b = (await res.json()) as { data: T[]; error?: { message: string } };
  if (!res.ok) throw new Error(b.error?.message);
  return b.data;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function child(mode: string, dataDir: string, extra: string[] = [], env: Record<string, string> = {}): ChildProcess {
  return fork(join(here, 'ingest/child.js'), [mode, dataDir, ...extra], { execArgv: ['--no-node-snapshot'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function message<T>(c: ChildProcess, t: string): Promise<T> {
  return new Promise((resolve, reject) => {
    c.on('message', (m: { t: string }) => m.t === t && resolve(m as T));
    c.once('exit', (code) => reject(new Error(`child exited (${code}) before '${t}'`)));
  });
}

const pct = (a: number[], p: number) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)]! : 0;
};

export default async function ingest(opts: { json: boolean; args?: string[] }): Promise<Record<string, unknown>> {
  const args = opts.args ?? [];
  const seconds = arg(args, 'seconds', 20);
  const concurrency = arg(args, 'concurrency', 16);
  const spansPer = arg(args, 'spans', 1000);
  const batchRows = 100_000;

  const loadBefore = loadavg()[0]!;
  log(`building ${spansPer}-span requests of the host's span shape`);
  const bodies: Uint8Array[] = [];
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < 64; i++) bodies.push(hostRequest(spansPer, i % 16, nowNs - BigInt(i) * 1_000_000_000n));
  const spansPerBody = bodies.map((b) => decodeProtobuf('traces', b).resourceSpans![0]!.scopeSpans[0]!.spans.length);
  const avgBytesPerSpan = bodies[0]!.length / spansPerBody[0]!;

  // 1. The collector under load.
  const dir = mkdtempSync(join(tmpdir(), 'isotel-bench-ingest-'));
  const col = child('collector', join(dir, 'collector'), [], { ISOTEL_COLLECTOR_BATCH_ROWS: String(batchRows) });
  const { ports } = await message<{ ports: { otlpHttp: number; viewer: number } }>(col, 'ready');
  let maxRss = 0;
  const rssTimer = setInterval(() => (maxRss = Math.max(maxRss, rssMb(col.pid!))), 250);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let acked = 0;
  let refused = 0;
  let stop = false;
  const started = performance.now();
  log(`sending for ${seconds}s with ${concurrency} requests in flight`);
  const workers = Array.from({ length: concurrency }, async (_, w) => {
    let i = w;
    while (!stop) {
      const k = i++ % bodies.length;
      const status = await post(agent, ports.otlpHttp, bodies[k]!);
      if (status === 200) acked += spansPerBody[k]!;
      else {
        refused++;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  // Probes: a one-span request every 250 ms, span end = now; a poller notes when each becomes queryable.
  const probes = new Map<string, { endMs: number; seenMs?: number }>();
  let probeN = 0;
  const probeTimer = setInterval(() => {
    const name = `probe-${probeN++}`;
    const endMs = Date.now();
    probes.set(name, { endMs });
    void post(agent, ports.otlpHttp, probeBody(name, endMs)).catch(() => {});
  }, 250);
  const poll = (async () => {
    while (!stop || [...probes.values()].some((p) => p.seenMs === undefined)) {
      const rows = await query<{ SpanName: string }>(ports.viewer, "SELECT SpanName FROM otel_traces WHERE ServiceName = 'bench-probe'").catch(() => []);
      const now = Date.now();
      for (const r of rows) {
        const p = probes.get(r.SpanName);
        if (p && p.seenMs === undefined) p.seenMs = now;
      }
      if (stop && performance.now() - started > (seconds + 60) * 1000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  clearInterval(probeTimer);
  await Promise.all(workers);
  const sentFor = (performance.now() - started) / 1000;
  log(`acknowledged ${acked} spans in ${sentFor.toFixed(1)}s (${refused} refused); waiting until all are queryable`);
  let inserted = 0;
  for (;;) {
    inserted = Number((await query<{ n: string }>(ports.viewer, "SELECT count() AS n FROM otel_traces WHERE ServiceName != 'bench-probe'"))[0]!.n);
    if (inserted >= acked) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const allQueryable = (performance.now() - started) / 1000;
  await poll;
  clearInterval(rssTimer);
  const lat = [...probes.values()].filter((p) => p.seenMs !== undefined).map((p) => p.seenMs! - p.endMs);
  col.send({ t: 'close' });
  await new Promise((r) => col.once('exit', r));
  agent.destroy();

  // 2. The ceiling: the same rows, the engine's fastest path, same batch size.
  const files: string[] = [];
  const ceilDir = join(dir, 'ceiling');
  let rowsPerFile = 0;
  for (let i = 0; i < Math.min(bodies.length, Math.ceil(acked / spansPer)); i++) {
    const m = mapRequest('traces', decodeProtobuf('traces', bodies[i]!), bodies[i]!.length * 2);
    const f = join(dir, `rows-${i}.rb`);
    writeFileSync(f, m.tables.get('otel_traces')!.bytes);
    rowsPerFile = m.tables.get('otel_traces')!.rows;
    files.push(f);
  }
  // Repeat the file list to insert as many rows as the collector did (bounded to keep the run short).
  const repeated: string[] = [];
  while (repeated.length * rowsPerFile < Math.min(acked, 2_000_000)) repeated.push(...files);
  const ceil = child('ceiling', ceilDir, repeated, { BENCH_ROWS_PER_FILE: String(rowsPerFile), BENCH_BATCH_ROWS: String(batchRows) });
  const c = await message<{ rows: number; seconds: number }>(ceil, 'ceiling');
  rmSync(dir, { recursive: true, force: true });

  const spansPerSec = Math.round(acked / allQueryable);
  const ceilingSpansPerSec = Math.round(c.rows / c.seconds);
  const figures = {
    spansPerSec,
    ceilingSpansPerSec,
    ratioToCeiling: Number((spansPerSec / ceilingSpansPerSec).toFixed(3)),
    acknowledgedSpans: acked,
    acknowledgedPerSecWhileSending: Math.round(acked / sentFor),
    refusedRequests: refused,
    endToQueryableP50Ms: pct(lat, 0.5),
    endToQueryableP99Ms: pct(lat, 0.99),
    probes: lat.length,
    collectorMaxRssMb: Math.round(maxRss),
    bytesPerSpanProtobuf: Math.round(avgBytesPerSpan),
    seconds,
    concurrency,
    spansPerRequest: spansPer,
    // Other processes share this machine's 2 cores: the 1-minute load average, before and after.
    loadAverage: [Number(loadBefore.toFixed(1)), Number(loadavg()[0]!.toFixed(1))],
  };
  if (!opts.json) log(JSON.stringify(figures));
  return figures;
}

function probeBody(name: string, endMs: number): Uint8Array {
  const t = signalTypes('traces').request;
  const end = BigInt(endMs) * 1_000_000n;
  return t
    .encode(
      t.fromObject({
        resourceSpans: [
          {
            resource: { attributes: [str('service.name', 'bench-probe')] },
            scopeSpans: [{ spans: [{ traceId: id(16), spanId: id(8), name, kind: 2, startTimeUnixNano: (end - 1000n).toString(), endTimeUnixNano: end.toString() }] }],
          },
        ],
      }),
    )
    .finish();
}
