/**
 * `npm run bench -- coldstart [--json] [--n 300]`
 *
 * Cold start of the hello example inside the host's cold-start path (the same
 * InstanceManager the worker runs): a non-resident version → response head, by
 * phase (acquire, compile, evaluate, dispatch). Measured twice in the same run:
 * with the pre-initialised isolate pool (how isotel runs) and with a fresh isolate
 * per cold start (no pool) as the baseline. The pooled run is made twice: with a CPU
 * limit under ISOTEL_SYNC_DISPATCH_MAX_CPU_MS (the cold start runs synchronously on
 * the worker's thread, how tight-limit functions run) and with the default-sized
 * limit (isolated-vm's thread pool).
 */
import { readFileSync } from 'node:fs';
import { createLogger } from '../common/log.js';
import { createSandbox } from '../host/isolate/sandbox.js';
import { IsolatePool } from '../host/pool/isolate-pool.js';
import { InstanceManager } from '../host/pool/instances.js';
import { channels, type InvocationEvent } from '../host/pool/events.js';
import { compileFunctionSource } from '../host/registry/transpile.js';
import { log, summary } from './_stats.js';

const ms = (a: bigint, b: bigint): number => Number(b - a) / 1e6;

const SYNC_MAX_CPU_MS = 50;

async function measure(poolSize: number, n: number, compiled: { code: string; format: 'script' | 'module'; sourceMap: string | undefined }, cpuMs: number): Promise<Record<string, unknown>> {
  const quiet = createLogger('bench', 'error');
  const pool = new IsolatePool(createSandbox, { memoryLimitMb: 128, size: poolSize, log: quiet });
  await pool.fill();
  const manager = new InstanceManager({ pool, create: createSandbox, sandboxOptions: {}, log: quiet, idleMs: 3_600_000, memoryBudgetBytes: 16 * 2 ** 30, syncMaxCpuMs: SYNC_MAX_CPU_MS });
  const limits = { memoryLimitMb: 128, cpuMs, wallMs: 10_000, maxRequestBytes: 1 << 20, maxResponseBytes: 1 << 20, concurrency: 16, maxInstances: 1 };
  await manager.deploy({ name: 'hello', version: 'v1', filename: 'hello.js', source: compiled.code, format: compiled.format, sourceMap: compiled.sourceMap, limits, env: {} });
  const phases: Record<string, number[]> = { total: [], acquire: [], compile: [], evaluate: [], dispatch: [] };
  let hits = 0;
  const onEnd = (m: unknown): void => {
    const p = (m as InvocationEvent).coldStartPhases;
    if (!p?.dispatch) return;
    phases.total!.push(ms(p.acquire[0], p.dispatch[1]));
    phases.acquire!.push(ms(...p.acquire));
    phases.compile!.push(ms(...p.compile));
    phases.evaluate!.push(ms(...p.evaluate));
    phases.dispatch!.push(ms(...p.dispatch));
    if (p.codeCacheHit) hits++;
  };
  channels.invokeEnd.subscribe(onEnd);
  const request = { method: 'GET', url: 'http://bench/hello/', headers: [] as [string, string][], body: null };
  for (let i = 0; i < n + 20; i++) {
    if (i === 20) for (const k of Object.keys(phases)) phases[k]!.length = 0; // warm-up discarded
    const { response, done } = await manager.invoke('hello', 'v1', String(i), request, 0n);
    if (response.body && !(response.body instanceof Uint8Array)) for await (const _ of response.body);
    done();
    // As in production, the instance outlives its first request long enough for the
    // background warm code cache (once per version) to be made.
    if (i === 0) await new Promise((r) => setTimeout(r, 50));
    manager.scaleToZero();
    // The pool refills in the background; measure the designed steady state, a cold
    // start that finds the pool ready (refill work is not on the request path).
    if (poolSize > 0) while (pool.size < poolSize) await new Promise((r) => setTimeout(r, 1));
  }
  channels.invokeEnd.unsubscribe(onEnd);
  manager.close();
  pool.close();
  return { ...Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, summary(v)])), codeCacheHits: hits };
}

export default async function coldstart({ args }: { json: boolean; args: string[] }): Promise<Record<string, unknown>> {
  const nArg = args.indexOf('--n');
  const n = nArg >= 0 ? Number(args[nArg + 1]) : 300;
  const source = await compileFunctionSource(readFileSync(new URL('../../examples/hello.js', import.meta.url), 'utf8'), 'hello.js');
  log(`coldstart: ${n} cold starts of examples/hello.js with the pool (cpuMs ${SYNC_MAX_CPU_MS}: synchronous; cpuMs 30000: thread pool), then ${n} with a fresh isolate each`);
  const pooled = await measure(4, n, source, SYNC_MAX_CPU_MS);
  const pooledThreadPool = await measure(4, n, source, 30_000);
  const fresh = await measure(0, n, source, 30_000);
  const p50 = (x: Record<string, unknown>): number => (x.total as { p50: number }).p50;
  const p99 = (x: Record<string, unknown>): number => (x.total as { p99: number }).p99;
  log(`pooled, synchronous: p50 ${p50(pooled)} ms, p99 ${p99(pooled)} ms; pooled, thread pool: p50 ${p50(pooledThreadPool)} ms, p99 ${p99(pooledThreadPool)} ms; fresh isolate: p50 ${p50(fresh)} ms, p99 ${p99(fresh)} ms`);
  return {
    unit: 'ms',
    pooled,
    pooledThreadPool,
    freshIsolate: fresh,
    p50Ms: p50(pooled),
    p99Ms: p99(pooled),
    threadPoolP50Ms: p50(pooledThreadPool),
    threadPoolP99Ms: p99(pooledThreadPool),
    baselineP50Ms: p50(fresh),
    speedupP50: Number((p50(fresh) / p50(pooled)).toFixed(2)),
    targets: { p50Ms: 0.5, p99Ms: 2 },
  };
}
