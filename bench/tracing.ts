/**
 * `npm run bench -- tracing [--json] [--seconds 5] [--connections 16] [--iterations 1000] [--skip-host] [--deno <path>] [--skip-deno]`
 *
 * The cost of author telemetry (issue 5), each figure against a baseline in the same run:
 *
 * 1. Warm requests per server CPU-second through a real host (gateway + worker
 *    process, CPU from /proc) for a function that creates 3 spans and logs one line
 *    per request: telemetry on (spans, log records and metrics exported over OTLP to
 *    a sink in this process that answers 200, so the host does all the encoding and
 *    sending) vs telemetry off. Target: on ≥ 0.9 × off.
 * 2. Cost per author span, end to end to the host: CPU time of this process (isolate
 *    thread included) for an invocation creating 100 spans (2 attributes each) minus one
 *    creating none, in the same traced isolate, through
 *    the real bridge into a BatchSpanProcessor (no-op exporter): creation, attributes,
 *    end, the drain across the isolate boundary, and the host turning them into
 *    exportable spans. Target: ≤ 5 µs per span.
 * 3. For reference, Deno's built-in OpenTelemetry (OTEL_DENO=true, exporting to the same
 *    sink) on the same workload, measured the same way, when a deno binary is found
 *    (node_modules/.bin/deno after `npm i -D deno`, DENO_BIN, or --deno <path>).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, InMemoryMetricExporter } from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ExportResultCode } from '@opentelemetry/core';
import { SpanKind } from '@opentelemetry/api';
import { createLogger } from '../common/log.js';
import { createIsotelSandbox } from '../host/isolate/sandbox.js';
import type { InvocationEvent } from '../host/pool/events.js';
import { createAuthorMetrics } from '../host/telemetry/author-metrics.js';
import { createTelemetryBridge } from '../host/telemetry/bridge.js';
import { createLogPipeline } from '../host/telemetry/logs.js';
import { childrenOf, cpuSeconds, log, summary, runLoad } from './_stats.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The benchmark function: 3 spans and one log line per request. */
export const THREE_SPANS = `
import { trace } from '@opentelemetry/api';
const tracer = trace.getTracer('bench');
export default {
  fetch(request) {
    return tracer.startActiveSpan('handle', (span) => {
      const db = tracer.startSpan('db.query', { attributes: { 'db.system': 'sqlite' } });
      db.setAttribute('db.rows', 3);
      db.end();
      tracer.startSpan('render').end();
      console.log('served', request.method);
      span.end();
      return new Response('ok');
    });
  },
};`;

interface Host { readonly url: string; readonly child: ChildProcess; pids(): number[] }

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startHost(telemetry: boolean, otlp: string): Promise<Host> {
  const dir = join(tmpdir(), `isotel-bench-tracing-${process.pid}-${telemetry ? 'on' : 'off'}`);
  mkdirSync(join(dir, 'fns'), { recursive: true });
  writeFileSync(join(dir, 'fns/traced.js'), THREE_SPANS);
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'bin/isotel.js'), 'host', '--data-dir', join(dir, 'data'), '--port', String(port), '--deploy', join(dir, 'fns')], {
    // warn: the worker does not print the function's console line, so only the telemetry differs between the two hosts.
    env: { ...process.env, ISOTEL_TELEMETRY: String(telemetry), ISOTEL_OTLP_ENDPOINT: otlp, ISOTEL_LOG_LEVEL: 'warn', OTEL_METRIC_EXPORT_INTERVAL: '1000' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/traced/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the host exited (${child.exitCode})`);
    const ok = await fetch(url).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('the host did not come up within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  return { url, child, pids: () => [pid, ...childrenOf(pid)] };
}

async function round(host: Host, connections: number, seconds: number) {
  const pids = host.pids();
  const before = await Promise.all(pids.map(cpuSeconds));
  const r = await runLoad(host.url, connections, seconds);
  const after = await Promise.all(pids.map(cpuSeconds));
  const cpu = after.reduce((a, b, i) => a + b - before[i]!, 0);
  return { requests: r.requests, errors: r.errors, rps: Math.round(r.rps), p50Ms: Number(r.p50Ms.toFixed(3)), serverCpuSeconds: Number(cpu.toFixed(2)), requestsPerCpuSecond: Math.round(r.requests / cpu) };
}

/** An OTLP/HTTP endpoint that accepts everything (the collector's CPU is not the host's). */
async function otlpSink(): Promise<{ url: string; server: HttpServer; received: () => number }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => { received++; res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, received: () => received };
}

async function hostRatio(connections: number, seconds: number) {
  const sink = await otlpSink();
  const on = await startHost(true, sink.url);
  const off = await startHost(false, sink.url);
  try {
    await runLoad(on.url, connections, 1);
    await runLoad(off.url, connections, 1);
    const rounds: Array<{ on: Awaited<ReturnType<typeof round>>; off: Awaited<ReturnType<typeof round>> }> = [];
    for (let i = 0; i < 3; i++) rounds.push({ off: await round(off, connections, seconds), on: await round(on, connections, seconds) });
    const best = (k: 'on' | 'off') => rounds.map((r) => r[k]).sort((a, b) => b.requestsPerCpuSecond - a.requestsPerCpuSecond)[0]!;
    const ratio = Number((best('on').requestsPerCpuSecond / best('off').requestsPerCpuSecond).toFixed(3));
    log(`telemetry off ${best('off').requestsPerCpuSecond} req/CPU-s, on ${best('on').requestsPerCpuSecond} req/CPU-s: ratio ${ratio} (target ≥ 0.9); OTLP requests received ${sink.received()}`);
    return { off: best('off'), on: best('on'), rounds, ratioPerCpuSecond: ratio, target: 0.9, otlpRequestsReceived: sink.received() };
  } finally {
    on.child.kill('SIGTERM');
    off.child.kill('SIGTERM');
    sink.server.close();
  }
}

const noopExporter: SpanExporter = { export: (_spans: ReadableSpan[], cb) => cb({ code: ExportResultCode.SUCCESS }), shutdown: async () => {} };

async function perSpan(iterations: number) {
  const logger = createLogger('bench');
  const processor = new BatchSpanProcessor(noopExporter, { maxQueueSize: 1 << 20, maxExportBatchSize: 4096, scheduledDelayMillis: 100 });
  const logs = createLogPipeline({ baseUrl: 'http://127.0.0.1:9', exporter: new InMemoryLogRecordExporter() });
  const metrics = createAuthorMetrics({ baseUrl: 'http://127.0.0.1:9', intervalMs: 3_600_000, log: logger, exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE) });
  const resource = resourceFromAttributes({ 'service.name': 'bench' });
  const bridge = createTelemetryBridge({ spanProcessor: processor, logs, metrics, resourceFor: () => resource, log: logger });
  const tracer = new BasicTracerProvider({ resource, spanProcessors: [processor] }).getTracer('isotel.host');
  const sandbox = await createIsotelSandbox({ memoryLimitMb: 128 });
  await sandbox.load(`
import { trace } from '@opentelemetry/api';
const tracer = trace.getTracer('bench');
export default {
  fetch(request) {
    const n = request.url.endsWith('100') ? 100 : 0;
    for (let i = 0; i < n; i++) {
      const s = tracer.startSpan('op');
      s.setAttribute('item.index', i);
      s.setAttribute('item.kind', 'bench');
      s.end();
    }
    return new Response('ok');
  },
};`, { filename: 'bench.js' });
  const info = { fn: 'bench', version: 'v1', instanceId: 'bench-1', memoryLimitMb: 128 };
  let seq = 0;
  const one = async (spans: 0 | 100): Promise<number> => {
    const invocationId = `b${++seq}`;
    const t0 = process.hrtime.bigint();
    const span = tracer.startSpan('bench', { kind: SpanKind.SERVER });
    const event = { instance: info, invocationId, method: 'GET', url: `http://b/${spans}`, headers: [], startUnixNano: 0n, coldStart: false } as unknown as InvocationEvent;
    const trace = bridge.invocationStarted(event, span);
    const r = await sandbox.invoke({ method: 'GET', url: `http://b/${spans}`, headers: [], body: null }, { invocationId, trace });
    await r.waitUntil;
    bridge.invocationEnded(event, span);
    span.end();
    return Number(process.hrtime.bigint() - t0) / 1000;
  };
  for (let i = 0; i < 200; i++) { await one(0); await one(100); } // warm-up (JIT on both sides)
  // CPU time of this process (the isolate's thread included), in alternating blocks: robust to a busy machine.
  const cpuOf = async (spans: 0 | 100, n: number): Promise<number> => {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await one(spans);
    await processor.forceFlush();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / n;
  };
  const cpu0: number[] = [];
  const cpu100: number[] = [];
  const with0: number[] = [];
  const with100: number[] = [];
  const block = 50;
  for (let i = 0; i < iterations; i += block) {
    cpu0.push(await cpuOf(0, block));
    cpu100.push(await cpuOf(100, block));
    with0.push(await one(0));
    with100.push(await one(100));
  }
  sandbox.dispose();
  await processor.shutdown();
  await bridge.shutdown();
  const s0 = summary(with0);
  const s100 = summary(with100);
  const c0 = summary(cpu0);
  const c100 = summary(cpu100);
  const perSpanUs = Number(((c100.p50 - c0.p50) / 100).toFixed(3));
  const perSpanWallUs = Number(((s100.p50 - s0.p50) / 100).toFixed(3));
  log(`CPU per invocation: 0 spans ${c0.p50} µs, 100 spans ${c100.p50} µs → ${perSpanUs} µs CPU per span (target ≤ 5); wall p50 ${s0.p50} vs ${s100.p50} µs → ${perSpanWallUs} µs per span`);
  return { cpuUsPerInvocation0Spans: c0, cpuUsPerInvocation100Spans: c100, perSpanUs, wallUs0Spans: s0, wallUs100Spans: s100, perSpanWallUs, target: 5 };
}

/** Deno's built-in OpenTelemetry (OTEL_DENO=true) on the same workload, measured the same way. */
const DENO_SERVER = `
import { trace } from 'npm:@opentelemetry/api@1.9.0';
const tracer = trace.getTracer('bench');
Deno.serve({ hostname: '127.0.0.1', port: Number(Deno.env.get('PORT')), onListen() {} }, (request) =>
  tracer.startActiveSpan('handle', (span) => {
    const db = tracer.startSpan('db.query', { attributes: { 'db.system': 'sqlite' } });
    db.setAttribute('db.rows', 3);
    db.end();
    tracer.startSpan('render').end();
    console.log('served', request.method);
    span.end();
    return new Response('ok');
  }));
`;

function findDeno(args: string[]): string | undefined {
  if (args.includes('--deno')) return args[args.indexOf('--deno') + 1];
  if (process.env.DENO_BIN) return process.env.DENO_BIN;
  const local = join(root, 'node_modules/.bin/deno');
  try { readFileSync(local); return local; } catch { return undefined; }
}

async function startDeno(deno: string, otel: boolean, otlp: string): Promise<Host> {
  const dir = join(tmpdir(), `isotel-bench-deno-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'server.js'), DENO_SERVER);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DENO_DIR: join(tmpdir(), 'isotel-bench-deno-cache'), NO_COLOR: '1' };
  if (otel) Object.assign(env, { OTEL_DENO: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_SERVICE_NAME: 'bench' });
  else delete env.OTEL_DENO;
  const child = spawn(deno, ['run', '-A', join(dir, 'server.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`deno exited (${child.exitCode})`);
    if (await fetch(url).then((r) => r.status === 200, () => false)) break;
    if (Date.now() > deadline) throw new Error('deno did not come up within 120 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, pids: () => [child.pid!] };
}

async function denoRatio(deno: string, connections: number, seconds: number) {
  const sink = await otlpSink();
  const on = await startDeno(deno, true, sink.url);
  const off = await startDeno(deno, false, sink.url);
  try {
    await runLoad(on.url, connections, 1);
    await runLoad(off.url, connections, 1);
    const rounds: Array<{ on: Awaited<ReturnType<typeof round>>; off: Awaited<ReturnType<typeof round>> }> = [];
    for (let i = 0; i < 3; i++) rounds.push({ off: await round(off, connections, seconds), on: await round(on, connections, seconds) });
    const best = (k: 'on' | 'off') => rounds.map((r) => r[k]).sort((a, b) => b.requestsPerCpuSecond - a.requestsPerCpuSecond)[0]!;
    const ratio = Number((best('on').requestsPerCpuSecond / best('off').requestsPerCpuSecond).toFixed(3));
    log(`deno: OTEL_DENO off ${best('off').requestsPerCpuSecond} req/CPU-s, on ${best('on').requestsPerCpuSecond} req/CPU-s: ratio ${ratio}; OTLP requests received ${sink.received()}`);
    return { off: best('off'), on: best('on'), rounds, ratioPerCpuSecond: ratio, otlpRequestsReceived: sink.received() };
  } finally {
    on.child.kill('SIGTERM');
    off.child.kill('SIGTERM');
    sink.server.close();
  }
}

export default async function tracing({ args }: { json: boolean; args: string[] }): Promise<Record<string, unknown>> {
  const arg = (name: string, def: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : def);
  const spanCost = await perSpan(arg('--iterations', 1000));
  const host = args.includes('--skip-host') ? undefined : await hostRatio(arg('--connections', 16), arg('--seconds', 5));
  const deno = findDeno(args);
  let denoFigures: Record<string, unknown> | string = 'not measured: no deno binary (npm i -D deno, or --deno <path> / DENO_BIN)';
  if (deno && !args.includes('--skip-deno')) denoFigures = await denoRatio(deno, arg('--connections', 16), arg('--seconds', 5));
  return { perSpan: spanCost, ...(host ? { host } : {}), deno: denoFigures };
}
